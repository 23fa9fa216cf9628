import HeapModule

/// Something the engine must do at a given instant. A plain value.
enum TimerEvent: Hashable, Codable {
    case offerExpires(OfferID)
    case customerGraceEnds(ContactID, generation: UInt32)
    case agentGraceEnds(AgentID, generation: UInt32)
    case exclusionEnds(ContactID)
}

/// The engine's pending timers, earliest first.
///
/// Timers are never cancelled: each event is checked against the current state when
/// it fires (an accepted offer's expiry, a reconnected customer's grace end, …) and
/// ignored if it no longer applies, so `next` may be earlier than any real work.
/// Owned by the engine, on the domain thread.
struct Deadlines: Codable {
    private struct Entry: Comparable, Codable {
        var at: Int64
        var sequence: UInt64
        var event: TimerEvent

        static func < (a: Entry, b: Entry) -> Bool {
            (a.at, a.sequence) < (b.at, b.sequence)
        }

        static func == (a: Entry, b: Entry) -> Bool {
            a.at == b.at && a.sequence == b.sequence
        }
    }

    private var heap = Heap<Entry>()
    private var sequence: UInt64 = 0

    var count: Int { heap.count }

    mutating func schedule(_ event: TimerEvent, at instant: Instant) {
        sequence &+= 1
        heap.insert(Entry(at: instant.milliseconds, sequence: sequence, event: event))
    }

    /// Every pending timer in firing order, described (`ContactCenter.canonicalState`).
    func describe() -> [String] {
        heap.unordered.sorted().map { "timer \($0.at)ms #\($0.sequence) \($0.event)" } + ["timer sequence \(sequence)"]
    }

    var next: Instant? { heap.min.map { Instant(milliseconds: $0.at) } }

    /// Removes and returns the earliest event due at or before `now`.
    mutating func popDue(_ now: Instant) -> TimerEvent? {
        guard let first = heap.min, first.at <= now.milliseconds else { return nil }
        return heap.removeMin().event
    }
}
