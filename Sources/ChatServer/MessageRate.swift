/// The per-connection limit on client messages (protocol/README.md, "Limits"): a
/// token bucket of `perSecond` tokens a second holding at most `burst`; every message
/// (typing and receipts included) takes one. A message over the limit is refused
/// with `rate_limited` and its `retry_after_ms`; the third refusal within
/// `strikeWindow` is fatal (close 4008).
///
/// A plain value, one per connection, on that connection's loop; time comes in as
/// monotonic nanoseconds so tests can drive it.
package struct MessageRate: Sendable {
    package enum Verdict: Hashable, Sendable {
        case allowed
        /// Refused; the client may try again after this many milliseconds.
        case limited(retryAfterMs: Int64)
        /// Refused for the third time within the window: close the connection.
        case exceeded(retryAfterMs: Int64)
    }

    package static let strikeWindow: UInt64 = 10_000_000_000
    package static let strikesAllowed = 2

    let perSecond: Double
    let burst: Double
    private var tokens: Double
    private var updatedAt: UInt64
    private var strikes: [UInt64] = []

    package init(perSecond: Int, burst: Int, now: UInt64) {
        self.perSecond = Double(max(1, perSecond))
        self.burst = Double(max(1, burst))
        self.tokens = self.burst
        self.updatedAt = now
    }

    package mutating func admit(now: UInt64) -> Verdict {
        if now > updatedAt {
            tokens = min(burst, tokens + Double(now - updatedAt) / 1e9 * perSecond)
            updatedAt = now
        }
        if tokens >= 1 {
            tokens -= 1
            return .allowed
        }
        let retry = Int64(((1 - tokens) / perSecond * 1000).rounded(.up))
        strikes.removeAll { now &- $0 >= MessageRate.strikeWindow }
        strikes.append(now)
        return strikes.count > MessageRate.strikesAllowed ? .exceeded(retryAfterMs: retry) : .limited(retryAfterMs: retry)
    }
}
