import Synchronization

/// The bytes queued for every connection of the server that the kernel has not taken
/// yet, shared by all loops. Each connection's queue is bounded by the send hard limit;
/// this bounds them all together, so that a crowd of slow readers cannot take the
/// process's memory (hardening issue: 50 slow readers took RSS to 967 MB). Past
/// `limit`, the loop that notices drops its connection with the longest queue, and
/// the next, until the total is back under it (`LoopContext.shedLongestQueues`).
final class QueuedOutput: Sendable {
    let limit: Int
    private let total = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var bytes: Int { total.load(ordering: .relaxed) }

    /// Adds `delta` (negative when bytes left); true when the total is now over the limit.
    func add(_ delta: Int) -> Bool {
        total.add(delta, ordering: .relaxed).newValue > limit
    }
}
