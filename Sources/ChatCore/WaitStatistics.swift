/// The settings of the wait statistics. A plain value.
public struct StatisticsConfiguration: Codable, Hashable, Sendable {
    /// Service level: the share of contacts assigned within this wait. Default 20 s.
    public var serviceLevelThreshold: Duration = .seconds(20)
    /// The sliding window's length. Default 15 minutes.
    public var window: Duration = .seconds(900)
    /// Buckets the window is made of (its resolution). Default 15 (a minute each).
    public var windowBuckets = 15
    /// The estimator's window: departures and busy time counted over this long. Default 5 minutes.
    public var serviceRateWindow: Duration = .seconds(300)

    public init(serviceLevelThreshold: Duration = .seconds(20), window: Duration = .seconds(900), windowBuckets: Int = 15,
                serviceRateWindow: Duration = .seconds(300)) {
        self.serviceLevelThreshold = serviceLevelThreshold
        self.window = window
        self.windowBuckets = windowBuckets
        self.serviceRateWindow = serviceRateWindow
    }

    public func validate() throws(ChatError) {
        guard serviceLevelThreshold >= .zero else { throw .invalidConfiguration("the service-level threshold must not be negative") }
        guard window.wholeMilliseconds >= 1_000, serviceRateWindow.wholeMilliseconds >= 1_000 else {
            throw .invalidConfiguration("statistics windows must be at least a second")
        }
        guard (1...1_000).contains(windowBuckets) else { throw .invalidConfiguration("window buckets must be 1...1000") }
    }
}

/// The wait statistics of a contact center (issue 5): per queue (the queue a contact
/// arrived in) and live channel, over the whole run and a sliding window, from the
/// contacts' own timestamps (`Contact`); the service-rate estimator behind estimated
/// waits and its measured error; and the agents' load over time.
///
/// Fed by the glue with every command's notices (`observe(_:in:)`, which also follows
/// each agent's load exactly, change by change), the estimates it gives customers
/// (`recordEstimate`) and the passing of time (`advance(to:)`). Pure: time comes from the center's injected clock and from the
/// instants passed in. Memory: one entry per contact in line or in conversation, and a
/// few HDR histograms per line and window bucket (about 10 KB each, made on first use).
/// A plain value; owned by the broker's domain thread.
public struct WaitStatistics: Codable, Sendable {
    /// What the statistics remember about a contact between its arrival and its end.
    struct Tracked: Codable, Sendable {
        /// Where its figures go: `LineID(queue: arrival queue, channel).index`.
        var statLine: Int
        /// The line it is in now, for the service rate (while `inLine`).
        var rateLine: Int
        var inLine: Bool
        /// When it last joined a line (for the service rate).
        var joinedAt: Instant
        var assigned: Bool
        /// When first assigned (for the shadow phone queue, should the record be gone).
        var assignedAt: Instant?
        /// Estimates given while it waited, oldest first: the first, then the newest.
        var estimates: [Estimate] = []
        /// The estimate given when it joined the line (the `queued` answer), if any:
        /// judged against the whole wait, enqueue to assignment.
        var enqueueEstimateMs: Int64?
    }

    /// An estimated wait given at `at`. A plain value.
    struct Estimate: Codable, Sendable {
        var at: Instant
        var ms: Int64
    }

    /// A queue's phone patience curve and when it was made. A plain value.
    struct PhonePatience: Codable, Sendable {
        var curve: PatienceCurve
        var madeAt: Instant
    }

    /// Estimates kept per waiting contact (the first and the newest ones).
    static let estimatesKept = 64

    public let configuration: StatisticsConfiguration
    public let startedAt: Instant
    let queueCount: Int
    private(set) var run: [LineTally]
    private var recent: [TimeBuckets<LineTally>]
    private var rates: [LineServiceRate]
    private var tracked: [ContactID: Tracked] = [:]
    private var loadRun = AgentLoadIntegral()
    private var loadRecent: TimeBuckets<AgentLoadIntegral>
    /// The agents' load now (the sum of `agentLoads`), and since when it has held.
    private var load = AgentLoadSample()
    private var loadSince: Instant
    private var agentLoads: [AgentID: AgentLoadSample] = [:]
    /// The imagined phone lines: one per queue, then one for the whole center.
    var phones: [PhoneLine]
    private var comparisons = ContactComparisons()
    private var onDuty = Set<AgentID>()
    /// Patience per statistics line (whole run): abandonments observed, answers censored.
    private var patience: [PatienceSample]
    /// Per queue, the patience the shadow phone lines draw from, and when it was made
    /// (remade at most once a second, as the sample grows).
    private var phonePatience: [PhonePatience]
    /// The draws' generator: seeded, so that a replay of the same commands gives the
    /// same shadow waits.
    private var random = SplitMix64(seed: 0x5741_4954_5452_5554)

    public init(configuration: StatisticsConfiguration = StatisticsConfiguration(), queueCount: Int, now: Instant) {
        self.configuration = configuration
        self.startedAt = now
        self.queueCount = queueCount
        self.loadSince = now
        let windowMs = configuration.window.wholeMilliseconds
        let bucketMs = max(1, windowMs / Int64(max(1, configuration.windowBuckets)))
        run = Array(repeating: LineTally(), count: queueCount * 2)
        recent = Array(repeating: TimeBuckets(windowMs: windowMs, bucketMs: bucketMs, empty: LineTally()), count: queueCount * 2)
        rates = Array(repeating: LineServiceRate(windowMs: configuration.serviceRateWindow.wholeMilliseconds, now: now),
                      count: queueCount * 2)
        loadRecent = TimeBuckets(windowMs: windowMs, bucketMs: bucketMs, empty: AgentLoadIntegral())
        patience = Array(repeating: PatienceSample(), count: queueCount * 2)
        phonePatience = Array(repeating: PhonePatience(curve: PatienceSample().curve(), madeAt: now), count: queueCount)
        phones = Array(repeating: PhoneLine(start: now, threshold: configuration.serviceLevelThreshold,
                                            windowMs: windowMs, bucketMs: bucketMs),
                       count: queueCount + 1)
    }

    /// Statistics for `center`, starting now, with its agents on duty as they are.
    public init<E: ContactEngine>(configuration: StatisticsConfiguration = StatisticsConfiguration(), center: E) {
        self.init(configuration: configuration, queueCount: center.queues.count, now: center.now)
        for agent in center.agents where agent.isOnDuty {
            onDuty.insert(agent.id)
            agentChanged(agent.id, in: center)
        }
        agentsOnDutyChanged(in: center)
    }

    /// Contacts between arrival in a line and their end.
    public var trackedCount: Int { tracked.count }

    // MARK: - Feeding

    /// Takes in one command's notices, reading the contacts' timestamps from `center`
    /// (call right after the command, before the next one).
    public mutating func observe<E: ContactEngine>(_ notices: [Notice], in center: E) {
        guard !notices.isEmpty else { return }
        let now = center.now
        var dutyChanged = false
        for notice in notices {
            switch notice {
            case .queued(let id, let line, _):
                queued(id, line: line, contact: center.contact(id), now: now)
            case .assigned(_, let id, let agent):
                agentChanged(agent, in: center)
                guard let contact = center.contact(id) else { continue }
                assigned(contact, now: now)
            case .answered(_, let id):
                guard tracked[id] != nil, let contact = center.contact(id) else { continue }
                answered(contact)
            case .contactFinished(let id):
                finished(id, contact: center.contact(id), now: now)
            case .agentStatusChanged(let agent, let status):
                let changed = status == .offline ? onDuty.remove(agent) != nil : onDuty.insert(agent).inserted
                dutyChanged = dutyChanged || changed
                agentChanged(agent, in: center)
            case .offered(let offer), .offerWithdrawn(let offer, _):
                agentChanged(offer.agent, in: center)
            case .transferred(_, _, let agent, _), .returnedToQueue(_, _, let agent):
                agentChanged(agent, in: center)
            case .conversationEnded(_, _, let agent?, _):
                agentChanged(agent, in: center)
            default:
                continue
            }
        }
        if dutyChanged { agentsOnDutyChanged(in: center) }
        collectShadows()
    }

    /// Tells every phone line how many agents are on duty for it now.
    private mutating func agentsOnDutyChanged<E: ContactEngine>(in center: E) {
        let now = center.now
        for q in 0..<queueCount {
            let count = center.status(of: QueueID(Int32(q)))?.agentsOnDuty ?? 0
            if phones[q].agentsOnDuty != count {
                phones[q].agentsOnDuty = count
                phones[q].shadow.setAgentsOnDuty(count, at: now)
            }
        }
        if phones[queueCount].agentsOnDuty != onDuty.count {
            phones[queueCount].agentsOnDuty = onDuty.count
            phones[queueCount].shadow.setAgentsOnDuty(onDuty.count, at: now)
        }
    }

    private mutating func collectShadows() {
        for p in phones.indices {
            let settled = phones[p].collect()
            if p == queueCount { for s in settled { comparisons.shadowSettled(s) } }
        }
    }

    /// The newest contacts (up to 100, oldest first) whose real wait and whose wait on
    /// the center's shadow phone line are both known.
    public var recentComparisons: [ContactComparison] { comparisons.recent }

    /// Real time has reached `now` (call every tick): the shadow phone queues settle
    /// the contacts whose phone wait is decided by then.
    public mutating func advance(to now: Instant) {
        for p in phones.indices { phones[p].shadow.advance(to: now) }
        collectShadows()
    }

    /// The same contact, on its queue's phone line and the center's.
    private mutating func phoneLines(of statLine: Int, _ body: (inout ShadowPhoneQueue<ContactID>) -> Void) {
        body(&phones[statLine >> 1].shadow)
        body(&phones[queueCount].shadow)
    }

    private mutating func queued(_ id: ContactID, line: LineID, contact: Contact?, now: Instant) {
        guard let contact, contact.channel.isLive, let enqueuedAt = contact.enqueuedAt else { return }
        if var t = tracked[id] {
            guard !t.inLine else { return }  // Back from a declined or expired offer: it never left.
            t.inLine = true
            t.rateLine = line.index
            t.joinedAt = now
            tracked[id] = t
            rates[line.index].joined(now)
            return
        }
        // First time in a line. (A contact back after a transfer or an agent's departure
        // is still tracked from its arrival: not a new one. Its record may already show
        // an assignment made later in the same command.)
        let statLine = LineID(queue: contact.queue, channel: contact.channel).index
        tracked[id] = Tracked(statLine: statLine, rateLine: line.index, inLine: true, joinedAt: now, assigned: false)
        rates[line.index].joined(now)
        count(at: enqueuedAt, statLine) { $0.arrivals += 1 }
        phoneLines(of: statLine) { $0.arrive(id, at: enqueuedAt) }
    }

    private mutating func assigned(_ contact: Contact, now: Instant) {
        guard var t = tracked[contact.id] else { return }
        if t.inLine {
            t.inLine = false
            // Taken the instant it arrived: agents had room, which says nothing about
            // how fast they free up.
            rates[t.rateLine].left(now, departed: now > t.joinedAt)
        }
        if !t.assigned, let enqueuedAt = contact.enqueuedAt, let assignedAt = contact.assignedAt {
            t.assigned = true
            t.assignedAt = assignedAt
            let wait = assignedAt.milliseconds - enqueuedAt.milliseconds
            comparisons.realOutcome(contact.id, statLine: t.statLine, enqueuedAt: enqueuedAt, waitMs: wait)
            patience[t.statLine].answered(afterMs: wait)
            drawPhonePatience(contact.id, statLine: t.statLine, enqueuedAt: enqueuedAt, waitedMs: wait, now: now)
            let within = wait <= configuration.serviceLevelThreshold.wholeMilliseconds
            let isCall = contact.channel == .voice
            let errors = t.estimates.map { e in abs(e.ms - max(0, assignedAt.milliseconds - e.at.milliseconds)) }
            let enqueueError = t.enqueueEstimateMs.map { abs($0 - wait) }
            t.estimates = []
            count(at: assignedAt, t.statLine) { tally in
                tally.wait.record(ms: wait)
                if within { tally.withinThreshold += 1 }
                // A call is answered when the agent picks it up.
                if isCall { tally.speedOfAnswer.record(ms: wait) }
                for error in errors { tally.estimateError.record(ms: error) }
                if let enqueueError { tally.estimateErrorAtEnqueue.record(ms: enqueueError) }
            }
        }
        tracked[contact.id] = t
    }

    private mutating func answered(_ contact: Contact) {
        guard contact.channel == .chat, let enqueuedAt = contact.enqueuedAt, let repliedAt = contact.firstAgentReplyAt,
              let t = tracked[contact.id] else { return }
        count(at: repliedAt, t.statLine) { $0.speedOfAnswer.record(ms: repliedAt.milliseconds - enqueuedAt.milliseconds) }
    }

    private mutating func finished(_ id: ContactID, contact: Contact?, now: Instant) {
        guard let t = tracked.removeValue(forKey: id) else { return }
        if t.inLine { rates[t.rateLine].left(now, departed: false) }
        // The shadow must hear of every contact's end, or it would wait for it forever.
        // (The record is gone only if `endedContactsKept` forgot it at once: then the
        // end is now, and the reason unknown.)
        let endedAt = contact?.endedAt ?? now
        if let assignedAt = contact?.assignedAt ?? t.assignedAt {
            let handle = endedAt.milliseconds - assignedAt.milliseconds
            phoneLines(of: t.statLine) { $0.handled(id, handleTime: .milliseconds(handle)) }
            if contact != nil { count(at: endedAt, t.statLine) { $0.handleTime.record(ms: handle) } }
        } else {
            phoneLines(of: t.statLine) { $0.abandoned(id, at: endedAt) }
            if case .abandoned(let reason)? = contact?.outcome, let enqueuedAt = contact?.enqueuedAt {
                count(at: endedAt, t.statLine) { $0.abandoned[reason] += 1 }
                // Only a customer who chose to leave shows their patience; a dropped
                // connection or a closing center only shows it was longer.
                let waited = endedAt.milliseconds - enqueuedAt.milliseconds
                if reason == .left { patience[t.statLine].abandoned(afterMs: waited) } else { patience[t.statLine].answered(afterMs: waited) }
                comparisons.realOutcome(id, statLine: t.statLine, enqueuedAt: enqueuedAt, waitMs: nil)
            }
        }
    }

    /// A contact answered after `waitedMs` would, on the phone, have hung up after a
    /// patience drawn from the queue's estimate conditioned on exceeding that wait
    /// (`PatienceCurve.patience`); the shadow phone lines are told. The estimate is the
    /// queue's voice line's when callers have abandoned there (phone patience), else
    /// chat and voice together; with no abandonment at all nothing is drawn (the
    /// shadow then assumes this customer never hangs up).
    private mutating func drawPhonePatience(_ id: ContactID, statLine: Int, enqueuedAt: Instant, waitedMs: Int64, now: Instant) {
        let q = statLine >> 1
        let firstAbandonments = phonePatience[q].curve.tailHazardPerMs == 0 && patience[q * 2].abandoned + patience[q * 2 + 1].abandoned > 0
        if firstAbandonments || now.milliseconds - phonePatience[q].madeAt.milliseconds >= 1_000 {
            phonePatience[q] = PhonePatience(curve: phonePatienceCurve(queue: q), madeAt: now)
        }
        let u = 1 - Double.random(in: 0..<1, using: &random)  // (0, 1]
        guard let ms = phonePatience[q].curve.patience(exceedingMs: waitedMs, uniform: u) else { return }
        phoneLines(of: statLine) { $0.patienceEnds(id, at: enqueuedAt.advanced(by: .milliseconds(ms))) }
    }

    private func phonePatienceCurve(queue q: Int) -> PatienceCurve {
        phonePatienceSample(of: [QueueID(Int32(q))]).curve()
    }

    /// The phone patience of some queues: their voice lines' sample when callers have
    /// abandoned there, else chat and voice together.
    func phonePatienceSample(of queues: [QueueID]) -> PatienceSample {
        var voice = PatienceSample(), both = PatienceSample()
        for q in queues where q.index * 2 + 1 < patience.count {
            voice.add(patience[q.index * 2 + 1])
            both.add(patience[q.index * 2])
        }
        if voice.abandoned > 0 { return voice }
        both.add(voice)
        return both
    }

    /// The Kaplan–Meier estimate of the patience of one queue and channel's customers,
    /// over the whole run (README "Patience").
    public func patience(for line: LineID) -> PatienceCurve {
        line.index < patience.count ? patience[line.index].curve() : PatienceSample().curve()
    }

    /// The patience sample of one queue and channel (for merging across queues).
    public func patienceSample(for line: LineID) -> PatienceSample {
        line.index < patience.count ? patience[line.index] : PatienceSample()
    }

    private mutating func count(at instant: Instant, _ line: Int, _ body: (inout LineTally) -> Void) {
        body(&run[line])
        recent[line].update(at: instant, body)
    }

    /// Remembers an estimate given to a waiting contact (`queued` or `place_in_line`);
    /// its error is measured when the contact is assigned. Contacts that never are
    /// (abandoned) leave no error: their actual wait is unknown. `atEnqueue` marks the
    /// estimate in the `queued` answering the contact's arrival: only that one, and
    /// only the first, counts in `estimateErrorAtEnqueue`, against the whole wait
    /// (an estimate first given later, say after a resume, is not "at enqueue").
    public mutating func recordEstimate(_ id: ContactID, ms: Int64, at now: Instant, atEnqueue: Bool = false) {
        guard var t = tracked[id], !t.assigned else { return }
        if atEnqueue && t.estimates.isEmpty && t.enqueueEstimateMs == nil { t.enqueueEstimateMs = ms }
        if t.estimates.count >= Self.estimatesKept { t.estimates.remove(at: 1) }
        t.estimates.append(Estimate(at: now, ms: ms))
        tracked[id] = t
    }

    /// An agent's holdings or status may have changed: the load so far counts for the
    /// time since the last change, then the agent's part is read again. O(1).
    private mutating func agentChanged<E: ContactEngine>(_ agent: AgentID, in center: E) {
        accrueLoad(until: center.now)
        if let old = agentLoads[agent] { load.subtract(old) }
        let part = center.agent(agent).map(AgentLoadSample.init) ?? AgentLoadSample()
        agentLoads[agent] = part
        load.add(part)
    }

    private mutating func accrueLoad(until now: Instant) {
        guard now > loadSince else { return }
        let ms = Double(now.milliseconds - loadSince.milliseconds)
        let current = load
        loadRun.add(current, forMs: ms)
        loadRecent.update(at: now) { $0.add(current, forMs: ms) }
        loadSince = now
    }

    // MARK: - Estimating

    /// The expected wait of the contact at `place` (1 is next) in `line`: `place` mean
    /// gaps between departures from the line while it was busy, over the estimator's
    /// window. With fewer than 3 departures there, the gap is the queue's mean handle
    /// time over `slots`, the free-or-busy places agents on duty have for the line;
    /// nil when that is unknown too. Rounded to whole seconds.
    public func estimatedWait(place: Int, in line: LineID, slots: Int, at now: Instant) -> Int64? {
        guard line.index < rates.count, place > 0 else { return nil }
        let gap: Double
        if let measured = rates[line.index].meanGapMs(at: now) {
            gap = measured
        } else if slots > 0, let handle = run[line.index].handleTime.meanMs {
            gap = handle / Double(slots)
        } else {
            return nil
        }
        let ms = Double(place) * gap
        guard ms.isFinite, ms < 1e12 else { return nil }
        return Int64((ms / 1_000).rounded()) * 1_000
    }

    /// The expected waits of a whole line at once, first place first, given how long
    /// each contact in it has waited (`waitedMs`, in line order). Like `estimatedWait`,
    /// but the places ahead are discounted by the chance that their customers give up
    /// first (issue 16): the contact at place k needs 1 + Σ P(j stays) departures, j
    /// ahead of it, where P(j stays) is the line's patience estimate (`PatienceOutlook`)
    /// that j, having waited w_j, still waits its own expected remaining wait. Gaps
    /// between departures count agents' answers only, so people who leave shorten the
    /// line without using a gap. Without any abandonment seen this is p × gap.
    public func estimatedWaits(waitedMs: [Int64], in line: LineID, slots: Int, at now: Instant,
                               patience: PatienceOutlook? = nil) -> [Int64?] {
        guard !waitedMs.isEmpty else { return [] }
        guard let one = estimatedWait(place: 1, in: line, slots: slots, at: now), let gap = unroundedGap(in: line, slots: slots, at: now) else {
            return Array(repeating: nil, count: waitedMs.count)
        }
        let outlook = patience ?? PatienceOutlook(self.patience(for: line))
        guard outlook.knowsAbandonment else {
            return waitedMs.indices.map { estimatedWait(place: $0 + 1, in: line, slots: slots, at: now) ?? one }
        }
        var ahead = 0.0
        var out: [Int64?] = []
        out.reserveCapacity(waitedMs.count)
        for waited in waitedMs {
            let expected = gap * (ahead + 1)
            guard expected.isFinite, expected < 1e12 else { out.append(nil); continue }
            out.append(Int64((expected / 1_000).rounded()) * 1_000)
            ahead += outlook.stays(waitedMs: Double(max(0, waited)), forMs: expected)
        }
        return out
    }

    private func unroundedGap(in line: LineID, slots: Int, at now: Instant) -> Double? {
        guard line.index < rates.count else { return nil }
        if let measured = rates[line.index].meanGapMs(at: now) { return measured }
        if slots > 0, let handle = run[line.index].handleTime.meanMs { return handle / Double(slots) }
        return nil
    }

    // MARK: - Reading

    /// One line's figures over the whole run and over the window ending at `now`.
    public func figures(for line: LineID, at now: Instant) -> (run: LineFigures, window: LineFigures) {
        let i = line.index
        let window = recent[i].reduce(at: now, into: LineTally()) { $0.add($1) }
        return (LineFigures(run[i]), LineFigures(window))
    }

    /// The tallies of one line, whole run and window (for merging across queues).
    public func tallies(for line: LineID, at now: Instant) -> (run: LineTally, window: LineTally) {
        let i = line.index
        return (run[i], recent[i].reduce(at: now, into: LineTally()) { $0.add($1) })
    }

    /// The agents' load: now, time-weighted over the run, and over the window.
    public func agentLoad(at now: Instant) -> (now: AgentLoadSample, run: AgentLoadIntegral, window: AgentLoadIntegral) {
        var run = loadRun
        var window = loadRecent.reduce(at: now, into: AgentLoadIntegral()) { $0.add($1) }
        // The time since the last change counts at the current load.
        if now > loadSince {
            let ms = Double(now.milliseconds - loadSince.milliseconds)
            run.add(load, forMs: ms)
            window.add(load, forMs: ms)
        }
        return (load, run, window)
    }

    /// How much history the window holds at `now`: its length, or the time since the
    /// start if shorter (for rates per hour).
    public func windowSpanMs(at now: Instant) -> Int64 {
        min(configuration.window.wholeMilliseconds, max(0, now.milliseconds - startedAt.milliseconds))
    }
}

/// One queue and channel's published figures over a span (README "Wait statistics").
/// A plain value.
public struct LineFigures: Hashable, Sendable {
    public var arrivals: Int
    public var wait: DurationSummary
    public var speedOfAnswer: DurationSummary
    public var handleTime: DurationSummary
    public var serviceLevel: Double?
    public var abandoned: AbandonCounts
    public var abandonmentRate: Double?
    public var estimateError: DurationSummary
    public var estimateErrorAtEnqueue: DurationSummary

    public init(_ tally: LineTally) {
        arrivals = tally.arrivals
        wait = tally.wait.summary
        speedOfAnswer = tally.speedOfAnswer.summary
        handleTime = tally.handleTime.summary
        serviceLevel = tally.serviceLevel
        abandoned = tally.abandoned
        abandonmentRate = tally.abandonmentRate
        estimateError = tally.estimateError.summary
        estimateErrorAtEnqueue = tally.estimateErrorAtEnqueue.summary
    }
}
