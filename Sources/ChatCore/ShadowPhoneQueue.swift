import DequeModule
import HeapModule

/// The shadow phone queue: the real arrivals, replayed in arrival order through a
/// first-come-first-served line where every agent on duty takes one contact at a time
/// (as on the phone), each contact keeping its real handle time. What it reports for
/// every contact is the wait the phone would have given it, next to the wait it really
/// had (issue 5's headline number).
///
/// It is fed live, in time order: `arrive`, `setAgentsOnDuty`, `abandoned` and
/// `advance(to:)` carry the time they happen (never earlier than a time already
/// reported; an earlier one is treated as the latest), and `handled` reports a real
/// contact's handle time when that contact ends. The shadow runs only as far as what
/// is known allows: a contact's shadow wait is *settled* once its shadow start can no
/// longer change, that is when the handle times of the contacts holding the agents it
/// waits for are known and the real clock has passed that start (agents could still
/// come on duty before it). Settled contacts are handed out once by `takeSettled()`
/// and counted in `totals`; nothing is kept of them afterwards.
///
/// Abandonment: a contact that really abandoned at time `a` leaves the shadow line at
/// `a` if its shadow start is later than `a`. If the phone would have answered it
/// earlier, it is served there, but it has no real handle time: it then takes
/// `abandonedHandleTime`, or (nil) the mean handle time reported so far.
///
/// Patience: a contact really answered after waiting w shows only that its patience
/// was longer than w; without more, it would wait in the shadow line forever, which
/// made the live shadow of a busy chat center grow without bound (issue 16). The feeder
/// reports a patience drawn for it (`patienceEnds`, from the Kaplan–Meier estimate
/// conditioned on exceeding w): it leaves the shadow line then if still waiting. Such
/// a time may lie ahead of the real clock; it is only acted on once real time has
/// passed it (agents could still come on duty before).
///
/// Memory: one entry per contact arrived and not yet settled, plus up to
/// `settledLimit` settled ones not yet taken (older ones are dropped and counted in
/// `totals.dropped`). When the shadow line is longer than `lineLimit` (a phone line
/// that cannot keep up), new arrivals are turned away as a busy signal would
/// (`totals.blocked`).
///
/// A plain value, owned by whoever feeds it (the broker's domain thread).
public struct ShadowPhoneQueue<ID: Hashable & Sendable & Codable>: Sendable, Codable {
    /// One contact's phone wait, final. A plain value.
    public struct Settled: Codable, Hashable, Sendable {
        public var id: ID
        public var arrivedAt: Instant
        /// Arrival to shadow answer, or to abandonment when `abandoned`.
        public var wait: Duration
        /// It left the shadow line before the phone would have answered it.
        public var abandoned: Bool

        public init(id: ID, arrivedAt: Instant, wait: Duration, abandoned: Bool) {
            self.id = id
            self.arrivedAt = arrivedAt
            self.wait = wait
            self.abandoned = abandoned
        }
    }

    /// Running aggregates over every settled contact. A plain value.
    public struct Totals: Codable, Hashable, Sendable {
        /// Answered in the shadow.
        public var answered = 0
        /// Abandoned in the shadow line.
        public var abandoned = 0
        /// Turned away because the shadow line was full (`lineLimit`).
        public var blocked = 0
        /// Settled contacts dropped untaken because `settledLimit` was reached.
        public var dropped = 0
        /// Sum of the answered contacts' waits, milliseconds.
        public var totalWaitMilliseconds: Int64 = 0
        /// Longest answered wait.
        public var longestWait: Duration = .zero
        /// Answered contacts that waited at all (wait > 0).
        public var waited = 0
        /// Answered within `serviceLevelThreshold`.
        public var answeredWithinThreshold = 0

        /// Mean wait of the answered contacts, seconds (nil before any).
        public var meanWaitSeconds: Double? {
            answered > 0 ? Double(totalWaitMilliseconds) / 1_000 / Double(answered) : nil
        }

        /// Answered within the threshold, over answered plus abandoned (nil before any).
        public var serviceLevel: Double? {
            answered + abandoned > 0 ? Double(answeredWithinThreshold) / Double(answered + abandoned) : nil
        }
    }

    /// Agents on duty from `at` on.
    private struct DutyChange: Codable, Sendable {
        var at: Instant
        var count: Int
    }

    /// What is known of a contact not yet started in the shadow.
    private struct Pending: Codable, Sendable {
        var arrivedAt: Instant
        var handleTime: Duration?
        var abandonedAt: Instant?
        /// When its drawn patience runs out (answered for real: no real abandonment).
        var patienceEndsAt: Instant?

        /// When it leaves the shadow line if still waiting there.
        var leavesAt: Instant? { abandonedAt ?? patienceEndsAt }
    }

    public let serviceLevelThreshold: Duration
    public let abandonedHandleTime: Duration?
    public let lineLimit: Int
    public let settledLimit: Int
    public private(set) var totals = Totals()

    /// The latest real time reported: everything up to it is known.
    public private(set) var horizon: Instant
    /// How far the shadow has run: every start before it has been decided.
    private var shadowNow: Instant
    private var onDuty = 0
    /// Changes of agents on duty later than `shadowNow`, in time order.
    private var dutyChanges: Deque<DutyChange> = []
    /// Arrived, not started in the shadow, in arrival order.
    private var line: Deque<ID> = []
    private var pending: [ID: Pending] = [:]
    /// Started in the shadow, still waiting for their real handle time: start time.
    private var servingUnknown: [ID: Instant] = [:]
    /// Shadow end times of the contacts being served whose handle time is known.
    private var ends = Heap<Instant>()
    private var settled: Deque<Settled> = []
    private var handleTimeTotalMilliseconds: Int64 = 0
    private var handleTimesKnown: Int64 = 0

    public init(startingAt start: Instant, serviceLevelThreshold: Duration = .seconds(20),
                abandonedHandleTime: Duration? = nil, lineLimit: Int = 100_000, settledLimit: Int = 100_000) {
        self.horizon = start
        self.shadowNow = start
        self.serviceLevelThreshold = serviceLevelThreshold
        self.abandonedHandleTime = abandonedHandleTime
        self.lineLimit = max(lineLimit, 1)
        self.settledLimit = max(settledLimit, 1)
    }

    // MARK: - Reading

    /// Agents taking contacts in the shadow now (busy ones included).
    public var busyAgents: Int { ends.count + servingUnknown.count }

    /// Contacts arrived and not yet settled (in the shadow line or their start not final).
    public var unsettledCount: Int { line.count }

    /// Contacts the shadow still serves without knowing their handle time.
    public var unknownHandleTimes: Int { servingUnknown.count }

    /// Hands out the contacts settled since the last call, in settling order (that is
    /// shadow-start order; abandoned ones when they left the shadow line).
    public mutating func takeSettled() -> [Settled] {
        defer { settled.removeAll(keepingCapacity: true) }
        return Array(settled)
    }

    // MARK: - Reporting the real center

    /// A contact arrived in the real line (voice or chat alike).
    public mutating func arrive(_ id: ID, at time: Instant) {
        moveHorizon(to: time)
        guard pending[id] == nil, servingUnknown[id] == nil else { return }
        if line.count >= lineLimit {
            totals.blocked += 1
        } else {
            line.append(id)
            pending[id] = Pending(arrivedAt: horizon)
        }
        run()
    }

    /// The number of agents on duty changed (at most one contact each in the shadow).
    /// Contacts being served when it drops are finished; no new one starts until fewer
    /// are busy than on duty.
    public mutating func setAgentsOnDuty(_ count: Int, at time: Instant) {
        moveHorizon(to: time)
        dutyChanges.append(DutyChange(at: horizon, count: max(count, 0)))
        run()
    }

    /// A real contact ended after `handleTime` with an agent (assignment to end).
    /// Unknown or already settled ids are ignored.
    public mutating func handled(_ id: ID, handleTime: Duration) {
        let handleTime = max(handleTime, .zero)
        handleTimeTotalMilliseconds += handleTime.wholeMilliseconds
        handleTimesKnown += 1
        if let start = servingUnknown.removeValue(forKey: id) {
            ends.insert(start.advanced(by: handleTime))
        } else if pending[id] != nil {
            pending[id]?.handleTime = handleTime
        } else {
            return
        }
        run()
    }

    /// A real contact abandoned (left the line, timed out, was closed out) at `time`.
    public mutating func abandoned(_ id: ID, at time: Instant) {
        moveHorizon(to: time)
        if let start = servingUnknown.removeValue(forKey: id) {
            // The phone had already answered it; it never had a real handle time.
            ends.insert(start.advanced(by: substituteHandleTime))
        } else if pending[id] != nil {
            pending[id]?.abandonedAt = horizon
        }
        run()
    }

    /// A contact answered for real would have hung up on the phone at `time` (its drawn
    /// patience, counted from arrival). Ignored once the shadow has started it.
    public mutating func patienceEnds(_ id: ID, at time: Instant) {
        guard let entry = pending[id], entry.abandonedAt == nil else { return }
        pending[id]?.patienceEndsAt = max(time, entry.arrivedAt)
        run()
    }

    /// Real time has reached `time` with nothing else to report: starts due by then settle.
    public mutating func advance(to time: Instant) {
        moveHorizon(to: time)
        run()
    }

    // MARK: - The shadow

    private var substituteHandleTime: Duration {
        if let abandonedHandleTime { return abandonedHandleTime }
        guard handleTimesKnown > 0 else { return .zero }
        return .milliseconds(handleTimeTotalMilliseconds / handleTimesKnown)
    }

    private mutating func moveHorizon(to time: Instant) {
        if time > horizon { horizon = time }
    }

    /// Runs the shadow forward as far as what is known decides it.
    private mutating func run() {
        while true {
            while let change = dutyChanges.first, change.at <= shadowNow {
                onDuty = change.count
                dutyChanges.removeFirst()
            }
            while let end = ends.min, end <= shadowNow {
                ends.removeMin()
            }
            guard let head = line.first, let entry = pending[head] else { return }
            if entry.arrivedAt > shadowNow {
                shadowNow = entry.arrivedAt  // nobody waits until then; it was reported, so known
                continue
            }
            if busyAgents < onDuty {
                if let left = entry.leavesAt, left < shadowNow {
                    settleAbandoned(head, entry, at: left)
                } else {
                    start(head, entry)
                }
                continue
            }
            // The head waits for an agent. A contact whose handle time is unknown may
            // end at any moment, so nothing past now can be decided until it is known.
            guard servingUnknown.isEmpty else { return }
            let next = [ends.min, dutyChanges.first?.at].compactMap { $0 }.min()
            // A drawn patience may end ahead of the real clock: decided once it is passed.
            if let left = entry.leavesAt, left <= horizon, next.map({ left < $0 }) ?? true {
                settleAbandoned(head, entry, at: left)
                continue
            }
            guard let next, next <= horizon else { return }
            shadowNow = next
        }
    }

    private mutating func start(_ id: ID, _ entry: Pending) {
        line.removeFirst()
        pending[id] = nil
        let handleTime = entry.handleTime ?? (entry.abandonedAt != nil ? substituteHandleTime : nil)
        if let handleTime {
            ends.insert(shadowNow.advanced(by: handleTime))
        } else {
            servingUnknown[id] = shadowNow
        }
        let wait = entry.arrivedAt.duration(to: shadowNow)
        totals.answered += 1
        totals.totalWaitMilliseconds += wait.wholeMilliseconds
        totals.longestWait = max(totals.longestWait, wait)
        if wait > .zero { totals.waited += 1 }
        if wait <= serviceLevelThreshold { totals.answeredWithinThreshold += 1 }
        keep(Settled(id: id, arrivedAt: entry.arrivedAt, wait: wait, abandoned: false))
    }

    private mutating func settleAbandoned(_ id: ID, _ entry: Pending, at left: Instant) {
        line.removeFirst()
        pending[id] = nil
        totals.abandoned += 1
        keep(Settled(id: id, arrivedAt: entry.arrivedAt, wait: entry.arrivedAt.duration(to: left), abandoned: true))
    }

    private mutating func keep(_ contact: Settled) {
        if settled.count >= settledLimit {
            settled.removeFirst()
            totals.dropped += 1
        }
        settled.append(contact)
    }
}
