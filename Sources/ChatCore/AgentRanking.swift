import HeapModule

/// The agents who could take a contact from one line, best first: most free slots,
/// then longest since their last assignment, then lowest id.
///
/// A max-heap with lazy deletion: whenever an agent changes, the engine bumps the
/// agent's version and pushes a fresh entry into the rankings of the lines the agent
/// can serve; entries with an old version are stale and dropped when they reach the
/// top. The heap is rebuilt when stale entries outnumber live ones, so it stays within
/// a constant factor of the number of agents. Owned by the engine, on the domain thread.
struct AgentRanking: Codable {
    /// One agent's standing in a line's ranking when it was pushed. A plain value.
    struct Candidate: Comparable, Codable {
        var freeSlots: Int32
        /// Milliseconds of the last assignment; `Int64.min` if never.
        var lastAssigned: Int64
        var agent: Int32
        var version: UInt32

        /// `a < b` when `a` is the worse choice.
        static func < (a: Candidate, b: Candidate) -> Bool {
            if a.freeSlots != b.freeSlots { return a.freeSlots < b.freeSlots }
            if a.lastAssigned != b.lastAssigned { return a.lastAssigned > b.lastAssigned }
            return a.agent > b.agent
        }
    }

    private(set) var heap = Heap<Candidate>()
    /// Agents who serve this line's queue (for the rebuild threshold).
    var agentsServing = 0

    mutating func push(_ candidate: Candidate) {
        heap.insert(candidate)
    }

    var top: Candidate? { heap.max }

    @discardableResult
    mutating func popTop() -> Candidate? { heap.popMax() }

    /// True when entries have grown past twice the possible live ones (each serving
    /// agent has at most one current entry).
    var needsCompaction: Bool { heap.count > 2 &* agentsServing &+ 32 }

    /// The heap's entries in storage order (deterministic: the heap hashes nothing).
    func describe() -> String {
        "serving \(agentsServing): " + heap.unordered.map { "\($0.agent)v\($0.version)/\($0.freeSlots)/\($0.lastAssigned)" }
            .joined(separator: " ")
    }

    /// Drops the stale entries.
    mutating func compact(isCurrent: (Candidate) -> Bool) {
        heap = Heap(heap.unordered.filter(isCurrent))
    }
}
