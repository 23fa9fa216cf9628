/// One staff sign-in as the queue sees it: whether its client is still waiting.
protocol SignInWork {
    /// True once nobody waits for the answer (the WebSocket closed): never hashed.
    var isAbandoned: Bool { get }
}

/// The staff sign-ins waiting for the sign-in thread's PBKDF2 check, and the policy
/// that decides which is hashed next. A flood of wrong secrets from many addresses,
/// each within its `SignInThrottle` limit, must not delay an agent who signs in from
/// where they signed in before, nor make the thread hash for clients that are gone.
///
/// - Two lanes. A sign-in naming an account that signed in successfully from the same
///   address before goes to the *returning* lane; every other one to the *general*
///   lane. An attacker cannot claim the returning lane: entering it takes a success
///   from that address, and it holds at most one sign-in per account and address, so
///   even someone at an agent's own address adds one hash at a time (and their
///   failures still count against the address's throttle).
/// - A share. When both lanes wait, the returning lane gets `returningShare` hashes,
///   then the general lane one, so neither starves the other.
/// - Bounded. The general lane holds at most `capacity`, and no more than the hashes
///   that fit before a newcomer's deadline at the recent cost of a hash (`hashCost`,
///   a moving average of the checks' durations); past either a sign-in is refused at
///   once (`Admission.busy`) rather than left to expire. An address past its failure
///   limit is refused at once too (`Admission.throttled`), not queued.
/// - Expiry. A sign-in whose client is gone is dropped, and one past its deadline is
///   answered busy, both without a hash.
///
/// A value with no I/O and no clock of its own: times are monotonic nanoseconds, passed
/// in. The broker keeps it behind `SignInLine`'s mutex.
struct SignInQueue<Work: SignInWork> {
    enum Lane: Equatable { case returning, general }

    /// What became of a sign-in offered to the queue.
    enum Admission: Equatable {
        case queued(Lane)
        /// The general lane is full: try again after this many milliseconds.
        case busy(retryAfterMs: Int64)
        /// Too many failures from the address (`SignInThrottle`): wait this long.
        case throttled(waitMs: Int64)
    }

    /// What the sign-in thread does next.
    enum Turn {
        /// Check this one's secret, then report with `finished`.
        case hash(Work, address: String, account: String?)
        /// Waited past its deadline: answer busy, without a hash.
        case expired(Work)
        /// Its address crossed the failure limit while it waited: answer as throttled.
        case throttled(Work, waitMs: Int64)
    }

    private struct Entry {
        let work: Work
        let address: String
        let account: String?
        let deadline: UInt64
    }

    /// What a busy client is told to wait.
    static var busyRetryMs: Int64 { 1_000 }

    let capacity: Int
    let returningShare: Int
    let maxReturningPairs: Int
    let throttle: SignInThrottle
    private var general: [Entry] = []
    private var returning: [Entry] = []
    /// Account-and-address pairs with a sign-in in the returning lane.
    private var returningPending: Set<String> = []
    /// Account-and-address pairs that signed in, with the time of their last success.
    private var returningPairs: [String: UInt64] = [:]
    /// Returning hashes in a row while the general lane waited.
    private var returningRun = 0
    /// What a check has cost lately, in nanoseconds (0 until one has been timed).
    private(set) var hashCost: UInt64 = 0
    private(set) var abandonedDropped = 0
    private(set) var expiredAnswered = 0
    private(set) var busyRefused = 0

    init(capacity: Int, throttle: SignInThrottle, returningShare: Int = 3, maxReturningPairs: Int = 10_000) {
        self.capacity = max(1, capacity)
        self.throttle = throttle
        self.returningShare = max(1, returningShare)
        self.maxReturningPairs = max(1, maxReturningPairs)
    }

    var count: Int { general.count + returning.count }
    var isEmpty: Bool { general.isEmpty && returning.isEmpty }

    /// Offers a sign-in from `address` naming `account` (nil for a token), to be
    /// hashed before `deadline`.
    mutating func admit(_ work: Work, from address: String, account: String?, now: UInt64, deadline: UInt64) -> Admission {
        if let wait = throttle.wait(for: address, now: now) { return .throttled(waitMs: wait) }
        let entry = Entry(work: work, address: address, account: account, deadline: deadline)
        if let pair = Self.pair(account, address), returningPairs[pair] != nil, !returningPending.contains(pair) {
            returningPending.insert(pair)
            returning.append(entry)
            return .queued(.returning)
        }
        // Sign-ins whose clients left are never hashed, so they must not make a
        // newcomer look late (on a slow machine 40 closed hellos refused the next one).
        dropAbandoned()
        let wait = UInt64(general.count + returning.count + 1) &* hashCost
        guard general.count < capacity, deadline > now, wait <= deadline - now else {
            busyRefused += 1
            return .busy(retryAfterMs: Self.busyRetryMs)
        }
        general.append(entry)
        return .queued(.general)
    }

    /// Forgets the general lane's sign-ins nobody waits for any more.
    private mutating func dropAbandoned() {
        let before = general.count
        general.removeAll { $0.work.isAbandoned }
        abandonedDropped += before - general.count
    }

    /// The next thing to do, or nil when nothing waits. Abandoned sign-ins are dropped
    /// on the way, silently: nobody is there to answer.
    mutating func next(now: UInt64) -> Turn? {
        while let entry = pop() {
            if entry.work.isAbandoned {
                abandonedDropped += 1
                continue
            }
            if now > entry.deadline {
                expiredAnswered += 1
                return .expired(entry.work)
            }
            if let wait = throttle.wait(for: entry.address, now: now) { return .throttled(entry.work, waitMs: wait) }
            return .hash(entry.work, address: entry.address, account: entry.account)
        }
        return nil
    }

    /// The outcome of a hashed sign-in and how long its check took: counted against
    /// the address, and a success opens the returning lane to the account from that
    /// address.
    mutating func finished(address: String, account: String?, succeeded: Bool, took: UInt64, now: UInt64) {
        // A quarter of the newest duration: follows a machine that gets busier within a few hashes.
        hashCost = hashCost == 0 ? took : (3 * hashCost + took) / 4
        throttle.record(address, succeeded: succeeded, now: now)
        guard succeeded, let pair = Self.pair(account, address) else { return }
        if returningPairs[pair] == nil, returningPairs.count >= maxReturningPairs,
           let oldest = returningPairs.min(by: { $0.value < $1.value })?.key {
            returningPairs[oldest] = nil
        }
        returningPairs[pair] = now
    }

    /// Whether `account` has signed in from `address` (and so may use the returning lane).
    func isReturning(_ account: String, from address: String) -> Bool {
        Self.pair(account, address).map { returningPairs[$0] != nil } ?? false
    }

    private mutating func pop() -> Entry? {
        let takeReturning = !returning.isEmpty && (general.isEmpty || returningRun < returningShare)
        if takeReturning {
            returningRun = general.isEmpty ? 0 : returningRun + 1
            let entry = returning.removeFirst()
            if let pair = Self.pair(entry.account, entry.address) { returningPending.remove(pair) }
            return entry
        }
        returningRun = 0
        return general.isEmpty ? nil : general.removeFirst()
    }

    private static func pair(_ account: String?, _ address: String) -> String? {
        account.map { "\($0)\u{0}\(address)" }
    }
}
