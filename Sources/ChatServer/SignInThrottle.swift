/// Failed staff sign-ins per client address. A staff secret is checked with PBKDF2
/// (tens of milliseconds) on the one sign-in thread, so someone guessing secrets would
/// keep that thread busy while real agents wait behind them. Past `limit` failures
/// from one address within `window` (counted from the first), further attempts from
/// it are refused without a hash until the window has passed. Covers the staff
/// `hello` and the transcript endpoint's HTTP Basic alike.
///
/// Memory: at most `maxAddresses` addresses; when full, expired ones are dropped, and
/// if none has expired a new address goes uncounted (the limit then bounds only the
/// addresses already counted, never refusing anyone for want of room).
///
/// Part of the `SignInQueue`, which checks it when a sign-in is offered and again
/// before its hash; used under `SignInLine`'s mutex. Times are monotonic nanoseconds,
/// passed in.
final class SignInThrottle {
    private struct Count {
        var failures: Int
        var since: UInt64
    }

    /// Failures that make an address wait; 0 turns the throttle off.
    let limit: Int
    let window: UInt64
    let maxAddresses: Int
    private var counts: [String: Count] = [:]

    init(limit: Int, window: UInt64 = 60_000_000_000, maxAddresses: Int = 10_000) {
        self.limit = max(0, limit)
        self.window = window
        self.maxAddresses = max(1, maxAddresses)
    }

    /// Milliseconds `address` must wait before it may try again, or nil if it may now.
    func wait(for address: String, now: UInt64) -> Int64? {
        guard limit > 0, let count = counts[address] else { return nil }
        let elapsed = now &- count.since
        if elapsed >= window {
            counts[address] = nil
            return nil
        }
        return count.failures >= limit ? Int64((window - elapsed + 999_999) / 1_000_000) : nil
    }

    /// The outcome of an attempt that was checked. A success forgets the address.
    func record(_ address: String, succeeded: Bool, now: UInt64) {
        guard limit > 0 else { return }
        if succeeded {
            counts[address] = nil
            return
        }
        if var count = counts[address], now &- count.since < window {
            count.failures += 1
            counts[address] = count
            return
        }
        if counts[address] == nil && counts.count >= maxAddresses {
            counts = counts.filter { now &- $0.value.since < window }
            if counts.count >= maxAddresses { return }
        }
        counts[address] = Count(failures: 1, since: now)
    }

    var addressesCounted: Int { counts.count }
}

extension SignInThrottle {
    /// What a refused attempt is told (the `error` message, the HTTP 429 body).
    static func refusal(waitMs: Int64) -> String {
        "Too many failed sign-ins from this address: try again in \(seconds(waitMs)) s."
    }

    /// A wait in whole seconds, rounded up (HTTP Retry-After).
    static func seconds(_ waitMs: Int64) -> Int64 { (waitMs + 999) / 1_000 }
}
