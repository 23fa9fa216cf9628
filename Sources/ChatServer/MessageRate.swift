import ChatProtocol

/// A budget of client messages (protocol/README.md, "Limits"): a token bucket of
/// `perSecond` tokens a second holding at most `burst`; every message (typing and
/// receipts included) takes one. A message over the limit is refused with
/// `rate_limited` and its `retry_after_ms`; the third refusal within `strikeWindow` is
/// fatal (close 4008) and starts a penalty of `strikeWindow` during which every
/// message is fatal at once, so a client that reconnects straight away gets nothing.
///
/// The I/O loop keeps one per connection (the first guard, before the domain thread
/// sees a message); the domain thread keeps one per customer session, staff account
/// and, when configured, client address (`MessageBudgets`), which outlive sockets so
/// that reconnecting refills nothing. A plain value; time comes in as monotonic
/// nanoseconds so tests can drive it.
package struct MessageRate: Sendable {
    package enum Verdict: Hashable, Sendable {
        case allowed
        /// Refused; the client may try again after this many milliseconds.
        case limited(retryAfterMs: Int64)
        /// Refused for the third time within the window, or during the penalty that
        /// followed: close the connection; reconnect no sooner than this.
        case exceeded(retryAfterMs: Int64)
    }

    package static let strikeWindow: UInt64 = 10_000_000_000
    package static let strikesAllowed = 2

    let perSecond: Double
    let burst: Double
    /// Whether repeated refusals become fatal (false for a budget many people share).
    let escalates: Bool
    private var tokens: Double
    private var updatedAt: UInt64
    private var strikes: [UInt64] = []
    /// Until when every message is fatal (0: no penalty).
    private var penaltyUntil: UInt64 = 0

    package init(perSecond: Int, burst: Int, now: UInt64, escalates: Bool = true) {
        self.perSecond = Double(max(1, perSecond))
        self.burst = Double(max(1, burst))
        self.escalates = escalates
        self.tokens = self.burst
        self.updatedAt = now
    }

    package mutating func admit(now: UInt64) -> Verdict {
        if let wait = penalty(now: now) { return .exceeded(retryAfterMs: wait) }
        if now > updatedAt {
            tokens = min(burst, tokens + Double(now - updatedAt) / 1e9 * perSecond)
            updatedAt = now
        }
        if tokens >= 1 {
            tokens -= 1
            return .allowed
        }
        let retry = Int64(((1 - tokens) / perSecond * 1000).rounded(.up))
        guard escalates else { return .limited(retryAfterMs: retry) }
        strikes.removeAll { now &- $0 >= MessageRate.strikeWindow }
        strikes.append(now)
        guard strikes.count > MessageRate.strikesAllowed else { return .limited(retryAfterMs: retry) }
        strikes.removeAll()
        penaltyUntil = now + MessageRate.strikeWindow
        return .exceeded(retryAfterMs: Int64(MessageRate.strikeWindow / 1_000_000))
    }

    /// Starts the penalty as if the third refusal had just happened here (another
    /// bucket of the same sender, the connection's, closed it with 4008).
    package mutating func punish(now: UInt64) {
        guard escalates else { return }
        tokens = 0
        updatedAt = max(updatedAt, now)
        strikes.removeAll()
        penaltyUntil = max(penaltyUntil, now + MessageRate.strikeWindow)
    }

    /// Milliseconds left of the penalty after a fatal refusal; nil when there is none.
    package func penalty(now: UInt64) -> Int64? {
        guard now < penaltyUntil else { return nil }
        return Int64((penaltyUntil - now + 999_999) / 1_000_000)
    }

    /// True when forgetting this budget changes nothing: it would be full again, with
    /// no strike or penalty left to remember.
    package func isAtRest(now: UInt64) -> Bool {
        guard now >= penaltyUntil, strikes.allSatisfy({ now &- $0 >= MessageRate.strikeWindow }) else { return false }
        return tokens + Double(now &- updatedAt) / 1e9 * perSecond >= burst
    }
}

extension MessageRate.Verdict {
    /// The error a refusal sends (nil when the message was allowed).
    func report(id: String?) -> (ErrorReport, fatal: Bool)? {
        switch self {
        case .allowed:
            return nil
        case .limited(let retry):
            return (ErrorReport(id: id, code: .rateLimited, message: "Too many messages; wait before sending again.",
                                fatal: false, retryAfterMs: retry), false)
        case .exceeded(let retry):
            return (ErrorReport(id: id, code: .rateLimited,
                                message: "Too many messages, repeatedly; wait at least 10 seconds before reconnecting.",
                                fatal: true, retryAfterMs: retry), true)
        }
    }
}
