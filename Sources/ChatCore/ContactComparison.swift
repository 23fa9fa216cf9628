/// One contact's real wait next to the wait the center's shadow phone line (every
/// agent on duty taking one contact at a time) would have given it: the per-contact
/// report of the shadow phone queue. A plain value.
public struct ContactComparison: Codable, Hashable, Sendable {
    public var contact: ContactID
    /// The queue it arrived in, and its channel.
    public var queue: QueueID
    public var channel: Channel
    public var enqueuedAt: Instant
    /// Enqueued → assigned; nil when it was abandoned.
    public var waitMs: Int64?
    /// Arrival → the phone's answer, or → its real abandonment when the phone would not
    /// have answered it by then (`shadowAbandoned`).
    public var shadowWaitMs: Int64
    public var shadowAbandoned: Bool

    public init(contact: ContactID, queue: QueueID, channel: Channel, enqueuedAt: Instant, waitMs: Int64?,
                shadowWaitMs: Int64, shadowAbandoned: Bool) {
        self.contact = contact
        self.queue = queue
        self.channel = channel
        self.enqueuedAt = enqueuedAt
        self.waitMs = waitMs
        self.shadowWaitMs = shadowWaitMs
        self.shadowAbandoned = shadowAbandoned
    }
}

/// Pairs each contact's real outcome with its settled shadow wait, whichever comes
/// first, and keeps the newest pairs. Memory: one entry per contact whose two halves
/// are not both known yet (at most `pendingLimit`; past it new contacts are not
/// paired), plus `kept` pairs. A plain value; owned by `WaitStatistics`.
struct ContactComparisons: Codable, Sendable {
    struct Real: Codable, Sendable {
        var statLine: Int
        var enqueuedAt: Instant
        /// nil: abandoned; .some(nil) never happens.
        var waitMs: Int64?
    }

    static let kept = 100
    static let pendingLimit = 200_000

    private var real: [ContactID: Real] = [:]
    private var shadow: [ContactID: ShadowPhoneQueue<ContactID>.Settled] = [:]
    private(set) var recent: [ContactComparison] = []

    mutating func realOutcome(_ id: ContactID, statLine: Int, enqueuedAt: Instant, waitMs: Int64?) {
        if let s = shadow.removeValue(forKey: id) {
            pair(id, Real(statLine: statLine, enqueuedAt: enqueuedAt, waitMs: waitMs), s)
        } else if real.count < Self.pendingLimit {
            real[id] = Real(statLine: statLine, enqueuedAt: enqueuedAt, waitMs: waitMs)
        }
    }

    mutating func shadowSettled(_ s: ShadowPhoneQueue<ContactID>.Settled) {
        if let r = real.removeValue(forKey: s.id) {
            pair(s.id, r, s)
        } else if shadow.count < Self.pendingLimit {
            shadow[s.id] = s
        }
    }

    private mutating func pair(_ id: ContactID, _ r: Real, _ s: ShadowPhoneQueue<ContactID>.Settled) {
        let line = LineID(queue: QueueID(Int32(r.statLine >> 1)), channel: r.statLine & 1 == 1 ? .voice : .chat)
        if recent.count >= Self.kept { recent.removeFirst() }
        recent.append(ContactComparison(contact: id, queue: line.queue, channel: line.channel, enqueuedAt: r.enqueuedAt,
                                        waitMs: r.waitMs, shadowWaitMs: s.wait.wholeMilliseconds, shadowAbandoned: s.abandoned))
    }
}
