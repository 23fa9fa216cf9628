/// Shadow phone waits settled over a span: answered in the shadow (with their waits)
/// and abandoned there. A plain value.
public struct ShadowTally: Codable, Sendable {
    public var wait = WaitDistribution()
    public var withinThreshold = 0
    public var abandoned = 0

    public init() {}

    mutating func add(_ other: ShadowTally) {
        wait.add(other.wait)
        withinThreshold += other.withinThreshold
        abandoned += other.abandoned
    }

    /// Answered within the threshold over answered plus abandoned, as for the real line.
    public var serviceLevel: Double? {
        wait.count + abandoned > 0 ? Double(withinThreshold) / Double(wait.count + abandoned) : nil
    }
}

/// One phone line the statistics imagine: a queue's contacts (or the whole center's)
/// as calls, one per agent on duty, replayed by a `ShadowPhoneQueue`, with the settled
/// shadow waits tallied over the run and the window. A plain value; owned by
/// `WaitStatistics` (domain thread).
struct PhoneLine: Codable, Sendable {
    var shadow: ShadowPhoneQueue<ContactID>
    var run = ShadowTally()
    var recent: TimeBuckets<ShadowTally>
    var agentsOnDuty = 0
    let threshold: Int64

    init(start: Instant, threshold: Duration, windowMs: Int64, bucketMs: Int64) {
        shadow = ShadowPhoneQueue(startingAt: start, serviceLevelThreshold: threshold)
        recent = TimeBuckets(windowMs: windowMs, bucketMs: bucketMs, empty: ShadowTally())
        self.threshold = threshold.wholeMilliseconds
    }

    /// Tallies what the shadow settled since the last call, and returns it.
    @discardableResult
    mutating func collect() -> [ShadowPhoneQueue<ContactID>.Settled] {
        let settled = shadow.takeSettled()
        for s in settled {
            let wait = s.wait.wholeMilliseconds
            let at = s.arrivedAt.advanced(by: s.wait)
            let abandoned = s.abandoned
            let within = wait <= threshold
            let body: (inout ShadowTally) -> Void = { t in
                if abandoned {
                    t.abandoned += 1
                } else {
                    t.wait.record(ms: wait)
                    if within { t.withinThreshold += 1 }
                }
            }
            body(&run)
            recent.update(at: at, body)
        }
        return settled
    }
}

/// What the same contacts would have waited by phone (one contact per agent on duty),
/// next to what they really waited: Erlang C's prediction from the window's arrival
/// rate, mean handle time and the agents on duty now, and the shadow phone queue's
/// replay. For one queue, or the whole center. A plain value.
public struct PhoneFigures: Sendable {
    /// Contacts (chat and voice) that joined a line per hour, over the window.
    public var arrivalsPerHour: Double
    /// Mean handle time of the contacts served in the window (whole run if none), ms.
    public var meanHandleMs: Double?
    public var agentsOnDuty: Int
    /// Offered load in Erlangs (arrival rate × mean handle time).
    public var offeredLoad: Double?
    /// Erlang C for that load and those agents; nil when unknown or unstable
    /// (load ≥ agents: a phone line would not keep up).
    public var erlangC: ErlangC.Model?
    /// Erlang A for the same inputs and the callers' mean patience (exponential, fitted
    /// to `patience`); nil until someone has abandoned.
    public var erlangA: ErlangA.Model?
    /// The patience estimate behind Erlang A and the shadow's draws: the voice lines'
    /// when callers have abandoned there, else chat and voice together.
    public var patience: PatienceCurve
    /// The contacts' real waits (chat and voice together), run and window.
    public var measured: (run: LineTally, window: LineTally)
    /// Shadow waits settled, run and window.
    public var shadow: (run: ShadowTally, window: ShadowTally)
    /// Contacts arrived whose shadow wait is not settled yet.
    public var shadowPending: Int
}

extension WaitStatistics {
    /// Phone line `i`: queues 0..<queueCount, then the whole center.
    func phoneIndex(of queue: QueueID?) -> Int { queue.map(\.index) ?? queueCount }

    /// The phone comparison for one queue, or (nil) the whole center, at `now`.
    public func phone(for queue: QueueID?, at now: Instant) -> PhoneFigures {
        let p = phoneIndex(of: queue)
        var measuredRun = LineTally()
        var measuredWindow = LineTally()
        let queues = queue.map { [$0] } ?? (0..<queueCount).map { QueueID(Int32($0)) }
        for q in queues {
            for channel in [Channel.chat, .voice] {
                let t = tallies(for: LineID(queue: q, channel: channel), at: now)
                measuredRun.add(t.run)
                measuredWindow.add(t.window)
            }
        }
        let span = windowSpanMs(at: now)
        let arrivalsPerSecond = span > 0 ? Double(measuredWindow.arrivals) / (Double(span) / 1_000) : 0
        let handle = measuredWindow.handleTime.meanMs ?? measuredRun.handleTime.meanMs
        let line = phones[p]
        let model = handle.flatMap {
            ErlangC.Model(arrivalRate: arrivalsPerSecond, meanHandleTime: $0 / 1_000, agents: line.agentsOnDuty)
        }
        let patience = phonePatienceSample(of: queues).curve()
        let erlangA = handle.flatMap { h -> ErlangA.Model? in
            guard patience.tailHazardPerMs > 0 else { return nil }
            return ErlangA.Model(arrivalRate: arrivalsPerSecond, meanHandleTime: h / 1_000,
                                 meanPatience: 1 / patience.tailHazardPerMs / 1_000, agents: line.agentsOnDuty)
        }
        return PhoneFigures(
            arrivalsPerHour: arrivalsPerSecond * 3_600, meanHandleMs: handle, agentsOnDuty: line.agentsOnDuty,
            offeredLoad: handle.map { arrivalsPerSecond * $0 / 1_000 }, erlangC: model, erlangA: erlangA, patience: patience,
            measured: (measuredRun, measuredWindow),
            shadow: (line.run, line.recent.reduce(at: now, into: ShadowTally()) { $0.add($1) }),
            shadowPending: line.shadow.unsettledCount)
    }
}
