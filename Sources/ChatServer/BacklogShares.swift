/// Who holds how much of the transcript writer's backlog (records appended but not yet
/// written), so that a few fast senders cannot refuse everyone else's messages
/// (hardening issue: four fast agents filled the shared store queue and every other
/// customer's sends were refused).
///
/// The rule (protocol/storage.md, "Backpressure"): below half of `max_pending_bytes`
/// everyone's messages are taken; above it, a sender holding more than an equal share
/// of that half among the senders with bytes pending is refused (`rate_limited`, send
/// again shortly); at the limit everyone is. Light senders stay under their share, so
/// they keep being heard while heavy ones wait for the disk.
///
/// A plain value owned by the transcript store on the domain thread.
struct BacklogShares<Sender: Hashable> {
    private var records = FIFO<(sender: Sender, end: UInt64, bytes: UInt64)>()
    private var held: [Sender: UInt64] = [:]

    /// Senders with bytes pending.
    var senders: Int { held.count }

    func pending(of sender: Sender) -> UInt64 { held[sender] ?? 0 }

    /// `sender`'s record ends at log position `end` and is `bytes` long.
    mutating func recorded(_ sender: Sender, end: UInt64, bytes: UInt64) {
        records.append((sender, end, bytes))
        held[sender, default: 0] += bytes
    }

    /// The writer has written everything before `position`.
    mutating func written(upTo position: UInt64) {
        while let first = records.first, first.end <= position {
            _ = records.removeFirst()
            let left = (held[first.sender] ?? 0) - min(held[first.sender] ?? 0, first.bytes)
            held[first.sender] = left == 0 ? nil : left
        }
    }

    /// Whether a message from `sender` may be recorded with `pending` bytes waiting
    /// for the writer in all and `limit` allowed.
    func admits(_ sender: Sender, pending: UInt64, limit: UInt64) -> Bool {
        guard pending < limit else { return false }
        guard pending >= limit / 2 else { return true }
        let share = (limit / 2) / UInt64(max(1, held.count))
        return self.pending(of: sender) < share
    }
}
