import DequeModule

/// The contacts waiting in one line, kept in order of their order key (arrival ticket,
/// with contacts returned to the front ahead of everyone).
///
/// Arrivals append at the back in O(1) and routing takes from the front in O(1); a
/// contact returning to its original place, or leaving from the middle, costs a
/// binary search and a move of the shorter side. Place in line is a binary search.
/// Owned by the engine, on the domain thread.
package struct WaitingLine: Codable {
    /// One waiting contact and its order key. A plain value.
    package struct Entry: Codable {
        package var key: Int64
        package var contact: ContactID
        /// Mirrors `Contact.isBlocked`: when false, routing may take it without looking
        /// the contact up.
        package var blocked: Bool

        package init(key: Int64, contact: ContactID, blocked: Bool = false) {
            self.key = key
            self.contact = contact
            self.blocked = blocked
        }
    }

    package private(set) var entries = Deque<Entry>()

    package init() {}

    package var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// Inserts in key order; returns the 0-based position.
    @discardableResult
    package mutating func insert(_ entry: Entry) -> Int {
        if let last = entries.last, last.key > entry.key {
            let i = lowerBound(entry.key)
            entries.insert(entry, at: i)
            return i
        }
        entries.append(entry)
        return entries.count - 1
    }

    /// Removes the entry with `key`; returns its former 0-based position.
    @discardableResult
    package mutating func remove(key: Int64) -> Int? {
        guard let i = position(of: key) else { return nil }
        if i == 0 {
            entries.removeFirst()
        } else {
            entries.remove(at: i)
        }
        return i
    }

    /// The 0-based position of the entry with `key`.
    package func position(of key: Int64) -> Int? {
        let i = lowerBound(key)
        return i < entries.count && entries[i].key == key ? i : nil
    }

    mutating func setBlocked(key: Int64, _ blocked: Bool) {
        if let i = position(of: key) { entries[i].blocked = blocked }
    }

    package subscript(position: Int) -> Entry { entries[position] }

    private func lowerBound(_ key: Int64) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low &+ high) >> 1
            if entries[mid].key < key { low = mid &+ 1 } else { high = mid }
        }
        return low
    }
}
