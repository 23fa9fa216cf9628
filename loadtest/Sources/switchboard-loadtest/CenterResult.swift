#if canImport(Glibc)
import Glibc
#endif
import ChatCore
import ChatProtocol

/// Figures of a set of waits (shift seconds). A plain value.
struct WaitFigures {
    var count = 0
    var mean = 0.0
    var p50 = 0.0
    var p90 = 0.0
    var p99 = 0.0
    var max = 0.0
    /// Share that waited longer than the "answered at once" allowance.
    var waitedShare = 0.0
    /// Answered within the service-level threshold, over answered plus abandoned.
    var serviceLevel = 0.0
    /// Batch means: the 95% confidence interval's half-width of `mean` (nil: too few).
    var meanHalfWidth: Double?
    var batchSize = 0

    init() {}

    /// `waits` in arrival order; `abandoned` count for the service level; `batches` for
    /// the interval (after dropping the first `warmUp` contacts of the run, counted in
    /// arrival order over `arrivalIndex`).
    init(waits: [Double], arrivalIndex: [Int], abandoned: Int, waitedAbove: Double, within threshold: Double,
         warmUp: Int, batches: Int) {
        count = waits.count
        guard count > 0 else { return }
        let sorted = waits.sorted()
        func quantile(_ p: Double) -> Double { sorted[min(count - 1, Swift.max(0, Int((p * Double(count)).rounded(.up)) - 1))] }
        mean = waits.reduce(0, +) / Double(count)
        p50 = quantile(0.5)
        p90 = quantile(0.9)
        p99 = quantile(0.99)
        max = sorted[count - 1]
        waitedShare = Double(waits.filter { $0 > waitedAbove }.count) / Double(count)
        serviceLevel = Double(waits.filter { $0 <= threshold }.count) / Double(count + abandoned)
        let steady = zip(waits, arrivalIndex).filter { $0.1 >= warmUp }.map(\.0)
        let size = steady.count / batches
        if batches >= 2 && size >= 2 {
            batchSize = size
            let means = (0..<batches).map { b in steady[(b * size)..<((b + 1) * size)].reduce(0, +) / Double(size) }
            let grand = means.reduce(0, +) / Double(batches)
            let variance = means.map { ($0 - grand) * ($0 - grand) }.reduce(0, +) / Double(batches - 1)
            meanHalfWidth = studentT975(degreesOfFreedom: batches - 1) * (variance / Double(batches)).squareRoot()
        }
    }

    var json: String {
        "{\"count\":\(count),\"mean\":\(format(mean, 3)),\"mean_ci95_half_width\":\(meanHalfWidth.map { format($0, 3) } ?? "null"),"
            + "\"batch_size\":\(batchSize),\"p50\":\(format(p50, 3)),\"p90\":\(format(p90, 3)),\"p99\":\(format(p99, 3)),"
            + "\"max\":\(format(max, 3)),\"waited_share\":\(format(waitedShare, 4)),\"service_level\":\(format(serviceLevel, 4))}"
    }
}

/// The 97.5% quantile of Student's t (two-sided 95%): exact table values for few
/// degrees of freedom, then the Cornish–Fisher expansion (error under 1e-4 from 10 on).
func studentT975(degreesOfFreedom n: Int) -> Double {
    let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262]
    if n >= 1 && n <= table.count { return table[n - 1] }
    let z = 1.959964, v = Double(n)
    let z3 = z * z * z, z5 = z3 * z * z
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
}

/// One run's results in shift time: every contact's wait, the figures, the inputs
/// measured on the way (arrival rate, handle time), Erlang C from them, and the same
/// arrivals replayed through an exact one-call-per-agent line (`ShadowPhoneQueue`).
struct RunResult {
    let channel: String
    let contacts: Int
    var answered = 0
    var abandoned = 0
    var failed = 0
    let errors: Int
    let firstError: String?
    /// (arrival, wait) of the answered contacts, shift seconds, in arrival order.
    var points: [(at: Double, wait: Double)] = []
    /// (arrival, time waited before hanging up) of the abandoned ones.
    var abandonedPoints: [(at: Double, waited: Double)] = []
    var figures = WaitFigures()
    var measuredArrivalsPerHour = 0.0
    var measuredHandleMean = 0.0
    var erlangMeasured: ErlangC.Model?
    /// The phone wait of every contact of this run (answered in the phone line).
    var phoneWaits: [Double] = []
    var phoneFigures = WaitFigures()
    var phoneAbandoned = 0
    /// The same replay with the run's own servers (agents × chat capacity, or agents
    /// for voice): mean wait, and how far each measured wait was from it.
    var ownServers = 0
    var ownMean = 0.0
    var ownMeanAbsoluteDifference = 0.0
    var ownMaxDifference = 0.0
    /// Every caller's time in line, answered or not (what Erlang A's mean wait counts),
    /// and the share who hung up, each with its 95% batch-means half-width.
    var allCallers = BatchMean()
    var abandonShare = BatchMean()
    /// Mean |client wait − broker estimate| over contacts that got an estimate.
    var estimates = 0
    var estimateErrorMedian: Double?
    var estimateErrorP90: Double?
    /// The share of waits that ended within the estimate's range as the widget words
    /// it ("about N minutes", "under a minute"): the same whole minute, shift time.
    var estimateWithinRange: Double?
    let realSeconds: Double
    let lateArrivals: Int
    let maxArrivalLagMs: Double
    let brokerStats: String?
    let broker: BrokerFigures

    init(run: ChannelRun, scenario: CenterScenario) {
        let perShift = 1e9 / scenario.timeScale
        func shift(_ from: UInt64, _ to: UInt64) -> Double { Double(Int64(bitPattern: to &- from)) / perShift }
        channel = run.channel
        contacts = run.records.count
        errors = run.errors
        firstError = run.firstError
        realSeconds = Double(run.end &- run.start) / 1e9
        lateArrivals = run.lateArrivals
        maxArrivalLagMs = Double(run.maxArrivalLag) / 1e6
        brokerStats = run.brokerStats
        broker = BrokerFigures(stats: run.brokerStats, before: run.brokerStatsBefore, channel: run.channel,
                               timeScale: scenario.timeScale)

        var waits: [Double] = [], order: [Int] = [], handles: [Double] = [], estimateErrors: [Double] = []
        var withinRange = 0
        var firstArrival: UInt64 = 0, lastArrival: UInt64 = 0
        for (i, r) in run.records.enumerated() where r.arrivedAt != 0 {
            if firstArrival == 0 { firstArrival = r.arrivedAt }
            lastArrival = r.arrivedAt
            let at = shift(run.start, r.arrivedAt)
            if r.failed {
                failed += 1
            } else if r.answered {
                answered += 1
                let wait = shift(r.arrivedAt, r.joinedAt)
                points.append((at, wait))
                waits.append(wait)
                order.append(i)
                if r.endSentAt != 0 && r.assignedAt != 0 { handles.append(shift(r.assignedAt, r.endSentAt)) }
                if let estimate = r.estimatedWaitMs {
                    let told = Double(estimate) / 1_000 * scenario.timeScale
                    estimateErrors.append(abs(wait - told))
                    if (wait / 60).rounded() == (told / 60).rounded() { withinRange += 1 }
                }
            } else if r.abandonedAt != 0 {
                abandoned += 1
                abandonedPoints.append((at, shift(r.arrivedAt, r.abandonedAt)))
            }
        }
        // "Answered at once" allows 50 real milliseconds of network and scheduling.
        let allowance = 0.05 * scenario.timeScale
        var inLine: [Double] = [], hungUp: [Double] = []
        for (i, r) in run.records.enumerated() where r.arrivedAt != 0 && !r.failed && i >= scenario.warmUp {
            if r.answered {
                inLine.append(shift(r.arrivedAt, r.joinedAt))
                hungUp.append(0)
            } else if r.abandonedAt != 0 {
                inLine.append(shift(r.arrivedAt, r.abandonedAt))
                hungUp.append(1)
            }
        }
        allCallers = BatchMean(inLine, batches: scenario.batches)
        abandonShare = BatchMean(hungUp, batches: scenario.batches)
        figures = WaitFigures(waits: waits, arrivalIndex: order, abandoned: abandoned, waitedAbove: allowance,
                              within: scenario.serviceLevelSeconds, warmUp: scenario.warmUp, batches: scenario.batches)
        if contacts > 1 && lastArrival > firstArrival {
            measuredArrivalsPerHour = Double(run.nextArrival - 1) / shift(firstArrival, lastArrival) * 3_600
        }
        if !handles.isEmpty { measuredHandleMean = handles.reduce(0, +) / Double(handles.count) }
        erlangMeasured = ErlangC.Model(arrivalRate: measuredArrivalsPerHour / 3_600 / Double(scenario.queues),
                                       meanHandleTime: measuredHandleMean, agents: scenario.agentsPerQueue)
        estimates = estimateErrors.count
        if !estimateErrors.isEmpty {
            let sorted = estimateErrors.sorted()
            estimateErrorMedian = sorted[sorted.count / 2]
            estimateErrorP90 = sorted[min(sorted.count - 1, Int((0.9 * Double(sorted.count)).rounded(.up)) - 1)]
            estimateWithinRange = Double(withinRange) / Double(sorted.count)
        }
        replayThroughLines(run: run, scenario: scenario)
    }

    /// The run's real arrivals, with their real handle times and hang-ups, through one
    /// FCFS line per queue with `servers` servers each: contact index → (wait,
    /// abandoned), shift seconds. With one server per agent it is the shadow phone
    /// queue; with the run's own servers (chat slots, or agents for voice) it is what
    /// the broker should have measured, less network time.
    static func replay(run: ChannelRun, scenario: CenterScenario, servers: Int) -> [Int: (wait: Double, abandoned: Bool)] {
        let perShiftMs = 1e6 / scenario.timeScale
        func ms(_ t: UInt64) -> Instant { Instant(milliseconds: Int64(Double(t &- run.start) / perShiftMs)) }
        var lines = (0..<scenario.queues).map { _ in
            ShadowPhoneQueue<Int>(startingAt: Instant(milliseconds: 0),
                                  serviceLevelThreshold: .milliseconds(Int64(scenario.serviceLevelSeconds * 1_000)),
                                  settledLimit: 10_000_000)
        }
        for q in lines.indices { lines[q].setAgentsOnDuty(servers, at: Instant(milliseconds: 0)) }
        enum Step { case arrive(Int), abandon(Int) }
        var steps: [(at: UInt64, step: Step)] = []
        // Every contact with a patience hangs up at arrival + patience if still in line:
        // in the voice run that is exactly when it really did; in the chat run it is
        // when it would have on the phone. The load tester knows it; the broker's shadow
        // queue only sees real abandonments.
        for (i, r) in run.records.enumerated() where r.arrivedAt != 0 && !r.failed {
            steps.append((r.arrivedAt, .arrive(i)))
            if let patience = r.patienceNanos { steps.append((r.arrivedAt &+ patience, .abandon(i))) }
        }
        steps.sort { $0.at < $1.at }
        for (at, step) in steps {
            switch step {
            case .arrive(let i):
                let r = run.records[i]
                lines[r.queue].arrive(i, at: ms(at))
                // The real handle time when there was one; else the scheduled one.
                let handle = r.endSentAt != 0 && r.assignedAt != 0 ? r.endSentAt &- r.assignedAt : r.handleNanos
                lines[r.queue].handled(i, handleTime: .milliseconds(Int64(Double(handle) / perShiftMs)))
            case .abandon(let i):
                lines[run.records[i].queue].abandoned(i, at: ms(at))
            }
        }
        var out: [Int: (wait: Double, abandoned: Bool)] = [:]
        for q in lines.indices {
            lines[q].advance(to: Instant(milliseconds: Int64.max / 4))
            for s in lines[q].takeSettled() {
                out[s.id] = (Double(s.wait.components.seconds) + Double(s.wait.components.attoseconds) / 1e18, s.abandoned)
            }
        }
        return out
    }

    private mutating func replayThroughLines(run: ChannelRun, scenario: CenterScenario) {
        let phone = Self.replay(run: run, scenario: scenario, servers: scenario.agentsPerQueue)
        let answeredPhone = phone.filter { !$0.value.abandoned }.sorted { $0.key < $1.key }
        phoneAbandoned = phone.count - answeredPhone.count
        phoneWaits = answeredPhone.map(\.value.wait)
        phoneFigures = WaitFigures(waits: phoneWaits, arrivalIndex: answeredPhone.map(\.key), abandoned: phoneAbandoned,
                                   waitedAbove: 0, within: scenario.serviceLevelSeconds,
                                   warmUp: scenario.warmUp, batches: scenario.batches)
        ownServers = scenario.agentsPerQueue * (channel == "chat" ? scenario.chatCapacity : 1)
        let own = ownServers == scenario.agentsPerQueue ? phone : Self.replay(run: run, scenario: scenario, servers: ownServers)
        var differences: [Double] = []
        var ownWaits: [Double] = []
        for (i, r) in run.records.enumerated() where r.answered && !r.failed {
            guard let replayed = own[i], !replayed.abandoned else { continue }
            ownWaits.append(replayed.wait)
            differences.append(abs(Double(r.joinedAt &- r.arrivedAt) / (1e9 / scenario.timeScale) - replayed.wait))
        }
        ownMean = ownWaits.isEmpty ? 0 : ownWaits.reduce(0, +) / Double(ownWaits.count)
        if !differences.isEmpty {
            ownMeanAbsoluteDifference = differences.reduce(0, +) / Double(differences.count)
            ownMaxDifference = differences.max() ?? 0
        }
    }
}

/// The mean of a series in arrival order with its 95% confidence half-width by batch
/// means (nil with fewer than 2 batches of 2). A plain value.
struct BatchMean {
    var count = 0
    var mean = 0.0
    var halfWidth: Double?

    init() {}

    init(_ values: [Double], batches: Int) {
        count = values.count
        guard count > 0 else { return }
        mean = values.reduce(0, +) / Double(count)
        let size = count / max(batches, 1)
        guard batches >= 2, size >= 2 else { return }
        let means = (0..<batches).map { b in values[(b * size)..<((b + 1) * size)].reduce(0, +) / Double(size) }
        let grand = means.reduce(0, +) / Double(batches)
        let variance = means.map { ($0 - grand) * ($0 - grand) }.reduce(0, +) / Double(batches - 1)
        halfWidth = studentT975(degreesOfFreedom: batches - 1) * (variance / Double(batches)).squareRoot()
    }

    /// Whether `value` lies within the interval, or (no interval, or outside it) within 10%.
    func agrees(with value: Double) -> (inInterval: Bool, within10Percent: Bool) {
        (halfWidth.map { abs(mean - value) <= $0 } ?? false, value != 0 && abs(mean - value) <= 0.1 * abs(value))
    }

    var json: String {
        "{\"count\":\(count),\"mean\":\(format(mean, 4)),\"ci95_half_width\":\(halfWidth.map { format($0, 4) } ?? "null")}"
    }
}

extension ErlangA.Model {
    var json: String {
        "{\"agents\":\(agents),\"load_erlangs\":\(format(load, 4)),\"mean_patience\":\(format(meanPatience, 3)),"
            + "\"p_wait\":\(format(probabilityOfWaiting, 4)),\"p_abandon\":\(format(probabilityOfAbandoning, 4)),"
            + "\"mean_wait\":\(format(meanWait, 3))}"
    }
}

extension ErlangC.Model {
    var json: String {
        "{\"agents\":\(agents),\"load_erlangs\":\(format(load, 4)),\"arrivals_per_hour\":\(format(arrivalRate * 3_600, 3)),"
            + "\"mean_handle_time\":\(format(meanHandleTime, 3)),\"p_wait\":\(format(probabilityOfWaiting, 4)),"
            + "\"mean_wait\":\(format(meanWait, 3)),\"p50\":\(format(waitQuantile(0.5), 3)),"
            + "\"p90\":\(format(waitQuantile(0.9), 3)),\"p99\":\(format(waitQuantile(0.99), 3))}"
    }
}

/// The broker's own figures for a run's channel, from its `/v1/stats` after the run
/// (protocol/README.md, "Wait statistics"), converted to shift seconds. Each is nil
/// when the broker did not publish it. A plain value.
struct BrokerFigures {
    var arrivals: Double?
    var answered: Double?
    var meanWait: Double?
    var p50: Double?
    var p90: Double?
    var p99: Double?
    var meanHandle: Double?
    var abandoned: Double?
    var estimateErrorMedian: Double?
    /// The center's shadow phone queue and Erlang C (chat and voice together).
    var shadowCount: Double?
    var shadowMeanWait: Double?
    var erlangCMeanWait: Double?
    /// This run's part of the center's shadow phone queue (the difference between the
    /// figures after and before it): answered, mean wait, abandoned, still pending.
    var runShadowCount: Double?
    var runShadowMeanWait: Double?
    var runShadowAbandoned: Double?
    var shadowPending: Double?

    init(stats: String?, before: String? = nil, channel: String, timeScale: Double) {
        guard let stats else { return }
        let shadow = ["stats", "phone", "shadow"]
        func shadowTotals(_ text: String?) -> (count: Double, sumMs: Double, abandoned: Double)? {
            guard let text, let count = JSONLookup.number(shadow + ["run", "wait", "count"], in: text) else { return nil }
            let mean = JSONLookup.number(shadow + ["run", "wait", "mean_ms"], in: text) ?? 0
            return (count, count * mean, JSONLookup.number(shadow + ["run", "abandoned"], in: text) ?? 0)
        }
        if let after = shadowTotals(stats) {
            let start = shadowTotals(before) ?? (0, 0, 0)
            runShadowCount = after.count - start.count
            runShadowAbandoned = after.abandoned - start.abandoned
            if after.count > start.count { runShadowMeanWait = (after.sumMs - start.sumMs) / (after.count - start.count) / 1_000 * timeScale }
        }
        shadowPending = JSONLookup.number(shadow + ["pending"], in: stats)
        func ms(_ path: [String]) -> Double? { JSONLookup.number(path, in: stats).map { $0 / 1_000 * timeScale } }
        let line = ["stats", "wait", channel, "run"]
        arrivals = JSONLookup.number(line + ["arrivals"], in: stats)
        answered = JSONLookup.number(line + ["wait", "count"], in: stats)
        meanWait = ms(line + ["wait", "mean_ms"])
        p50 = ms(line + ["wait", "p50_ms"])
        p90 = ms(line + ["wait", "p90_ms"])
        p99 = ms(line + ["wait", "p99_ms"])
        meanHandle = ms(line + ["handle", "mean_ms"])
        abandoned = JSONLookup.number(line + ["abandoned", "total"], in: stats)
        estimateErrorMedian = ms(line + ["estimate_error", "p50_ms"])
        shadowCount = JSONLookup.number(["stats", "phone", "shadow", "run", "wait", "count"], in: stats)
        shadowMeanWait = ms(["stats", "phone", "shadow", "run", "wait", "mean_ms"])
        erlangCMeanWait = ms(["stats", "phone", "erlang_c", "mean_wait_ms"])
    }

    var json: String {
        func n(_ v: Double?) -> String { v.map { format($0, 3) } ?? "null" }
        return "{\"arrivals\":\(n(arrivals)),\"answered\":\(n(answered)),\"mean_wait\":\(n(meanWait)),\"p50\":\(n(p50)),"
            + "\"p90\":\(n(p90)),\"p99\":\(n(p99)),\"mean_handle_time\":\(n(meanHandle)),\"abandoned\":\(n(abandoned)),"
            + "\"estimate_error_p50\":\(n(estimateErrorMedian)),\"center_shadow_count\":\(n(shadowCount)),"
            + "\"center_shadow_mean_wait\":\(n(shadowMeanWait)),\"center_erlang_c_mean_wait\":\(n(erlangCMeanWait)),"
            + "\"run_shadow_count\":\(n(runShadowCount)),\"run_shadow_mean_wait\":\(n(runShadowMeanWait)),"
            + "\"run_shadow_abandoned\":\(n(runShadowAbandoned)),\"shadow_pending\":\(n(shadowPending))}"
    }
}
