/// An id that a `Slab` hands out: a slot index in the low 32 bits and the slot's
/// generation in the high 32, so a lookup is an array index and a stale id (its slot
/// since reused) finds nothing.
protocol SlabID: Hashable {
    var rawValue: UInt64 { get }
    init(_ rawValue: UInt64)
}

extension ContactID: SlabID {}
extension ConversationID: SlabID {}

/// Records addressed by `SlabID`s: O(1) insert, lookup and removal with no hashing,
/// and in-place access to a record's fields. Freed slots are reused; ids are not.
/// Owned by the engine state, on the domain thread.
struct Slab<ID: SlabID, Element> {
    private var elements: [Element?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    private(set) var count = 0

    /// Stores the record that `make` builds for its new id; returns the id.
    mutating func insert(_ make: (ID) -> Element) -> ID {
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            generations[slot] &+= 1
        } else {
            slot = elements.count
            precondition(slot < Int(UInt32.max), "slab full")
            elements.append(nil)
            generations.append(1)
        }
        let id = ID(UInt64(generations[slot]) << 32 | UInt64(slot))
        elements[slot] = make(id)
        count += 1
        return id
    }

    /// The record for `id`, or nil if it was never stored or has been removed.
    subscript(id: ID) -> Element? {
        guard let slot = slot(of: id) else { return nil }
        return elements[slot]
    }

    func contains(_ id: ID) -> Bool { slot(of: id) != nil }

    /// In-place access to a record the caller knows is stored.
    subscript(live id: ID) -> Element {
        _read { yield elements[Int(truncatingIfNeeded: id.rawValue & 0xFFFF_FFFF)]! }
        _modify { yield &elements[Int(truncatingIfNeeded: id.rawValue & 0xFFFF_FFFF)]! }
    }

    mutating func remove(_ id: ID) {
        guard let slot = slot(of: id) else { return }
        elements[slot] = nil
        freeSlots.append(slot)
        count -= 1
    }

    private func slot(of id: ID) -> Int? {
        let slot = Int(truncatingIfNeeded: id.rawValue & 0xFFFF_FFFF)
        guard slot < elements.count, generations[slot] == UInt32(truncatingIfNeeded: id.rawValue >> 32),
              elements[slot] != nil else { return nil }
        return slot
    }
}
