/// An id that a `Slab` hands out: a slot index in the low 32 bits and the slot's
/// generation (1 ..< 2^21) above them, so a lookup is an array index, a stale id (its
/// record since removed) finds nothing, and every id is below 2^53 (JSON-safe).
/// Adopted by `ContactID` and `ConversationID`.
package protocol SlabID: Hashable {
    var rawValue: UInt64 { get }
    init(_ rawValue: UInt64)
}

extension ContactID: SlabID {}
extension ConversationID: SlabID {}

/// Records addressed by `SlabID`s: O(1) insert, lookup and removal with no hashing,
/// and in-place access to a record's fields (no copy of the record).
///
/// Removing a record marks its slot free and bumps the slot's generation, so every id
/// of it goes stale; the record itself stays in the slot until the slot is reused (so
/// memory is that of the most records ever held at once). Ids are never reused: a slot
/// whose generation reaches `generationLimit` is retired instead of freed (conversation
/// ids name transcripts on disk, so one id must never name two conversations). Owned
/// by the engine state, on the domain thread.
package struct Slab<ID: SlabID, Element> {
    private var elements: [Element] = []
    /// The generation of the id that the slot's current (or next) record has.
    private var generations: [UInt32] = []
    private var occupied: [Bool] = []
    private var freeSlots: [Int] = []
    package private(set) var count = 0
    /// Generations stay below 2^21, so ids stay below 2^53 (JSON-safe numbers); a slot
    /// reused that often (two million times) is retired, one record's memory lost.
    let generationLimit: UInt32

    package init(generationLimit: UInt32 = (1 << 21) - 1) {
        self.generationLimit = max(generationLimit, 1)
    }

    /// Stores the record that `make` builds for its new id; returns the id.
    package mutating func insert(_ make: (ID) -> Element) -> ID {
        if let slot = freeSlots.popLast() {
            let id = Self.id(slot, generations[slot])
            elements[slot] = make(id)
            occupied[slot] = true
            count += 1
            return id
        }
        let slot = elements.count
        precondition(slot < Int(UInt32.max), "slab full")
        let id = Self.id(slot, 1)
        generations.append(1)
        occupied.append(true)
        elements.append(make(id))
        count += 1
        return id
    }

    /// A copy of the record for `id`, or nil if it was never stored or has been removed.
    package subscript(id: ID) -> Element? {
        guard let slot = slot(of: id) else { return nil }
        return elements[slot]
    }

    package func contains(_ id: ID) -> Bool { slot(of: id) != nil }

    /// In-place access to a record the caller knows is stored.
    subscript(live id: ID) -> Element {
        _read { yield elements[Self.slot(id)] }
        _modify { yield &elements[Self.slot(id)] }
    }

    package mutating func remove(_ id: ID) {
        guard let slot = slot(of: id) else { return }
        occupied[slot] = false
        count -= 1
        guard generations[slot] < generationLimit else { return }  // retired: its ids are all spent
        generations[slot] += 1
        freeSlots.append(slot)
    }

    /// Every slot, first to last: generation, whether occupied, and the record if so;
    /// then the free list (which decides the next ids). Slot order is insertion
    /// history, so equal histories describe alike (`ContactCenter.canonicalState`).
    package func describeSlots() -> [String] {
        var out: [String] = []
        out.reserveCapacity(elements.count + 1)
        for slot in elements.indices {
            out.append(occupied[slot] ? "slot \(slot) g\(generations[slot]): \(elements[slot])"
                                      : "slot \(slot) g\(generations[slot]): free")
        }
        out.append("free list \(freeSlots)")
        return out
    }

    /// Whether `id` was handed out and its record has since been removed (rather than
    /// being live, or not handed out yet): generations only grow, and a retired slot
    /// is left out of the free list.
    package func wasRemoved(_ id: ID) -> Bool {
        let slot = Self.slot(id)
        guard slot < elements.count else { return false }
        let generation = UInt32(truncatingIfNeeded: id.rawValue >> 32)
        if generations[slot] != generation { return generations[slot] > generation }
        // Free at this generation: retired (its ids spent, so this one was issued), or
        // waiting in the free list to hand this id out next. Linear, but rare.
        return !occupied[slot] && !freeSlots.contains(slot)
    }

    private func slot(of id: ID) -> Int? {
        let slot = Self.slot(id)
        guard slot < elements.count, occupied[slot],
              generations[slot] == UInt32(truncatingIfNeeded: id.rawValue >> 32) else { return nil }
        return slot
    }

    private static func slot(_ id: ID) -> Int { Int(truncatingIfNeeded: id.rawValue & 0xFFFF_FFFF) }

    private static func id(_ slot: Int, _ generation: UInt32) -> ID {
        ID(UInt64(generation) << 32 | UInt64(slot))
    }
}

// A snapshot keeps every slot as it is (free ones too, with their generations and the
// free list's order), so the restored slab hands out the same ids next.
extension Slab: Codable where Element: Codable {}
