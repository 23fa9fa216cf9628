import ChatCore
import ChatProtocol

// The wait statistics of `ChatCore` as the wire values of `ChatProtocol` (snapshot,
// `/v1/stats`): durations to whole milliseconds, nothing else changes.

extension DurationStats {
    init(_ s: DurationSummary) {
        self.init(count: Int64(s.count), meanMs: s.meanMs.map { Int64($0.rounded()) }, p50Ms: s.p50Ms, p90Ms: s.p90Ms, p99Ms: s.p99Ms)
    }
}

extension AbandonStats {
    init(_ a: AbandonCounts) {
        self.init(left: Int64(a.left), timedOut: Int64(a.timedOut), closed: Int64(a.closed))
    }
}

extension LineStats {
    init(_ f: LineFigures) {
        self.init(arrivals: Int64(f.arrivals), wait: DurationStats(f.wait), speedOfAnswer: DurationStats(f.speedOfAnswer),
                  handle: DurationStats(f.handleTime), serviceLevel: f.serviceLevel, abandoned: AbandonStats(f.abandoned),
                  abandonmentRate: f.abandonmentRate, estimateError: DurationStats(f.estimateError),
                  estimateErrorAtEnqueue: DurationStats(f.estimateErrorAtEnqueue))
    }

    init(_ t: LineTally) { self.init(LineFigures(t)) }
}

extension ShadowStats {
    init(_ t: ShadowTally) {
        self.init(wait: DurationStats(t.wait.summary), serviceLevel: t.serviceLevel, abandoned: Int64(t.abandoned))
    }
}

extension LoadStats {
    init(_ s: AgentLoadSample) { self.init(occupancy: s.occupancy, concurrency: s.concurrency) }
    init(_ i: AgentLoadIntegral) { self.init(occupancy: i.occupancy, concurrency: i.concurrency) }
}

extension PatienceStats {
    init(_ c: PatienceCurve) {
        // Thinned evenly to `curveLimit` points, the last one always kept.
        var points = c.steps
        if points.count > Self.curveLimit {
            let stride = Double(points.count) / Double(Self.curveLimit)
            points = (0..<Self.curveLimit).map { points[min(points.count - 1, Int((Double($0 + 1) * stride).rounded(.up)) - 1)] }
        }
        let mean = c.mean
        self.init(abandoned: Int64(c.abandoned), answered: Int64(c.answered), medianMs: c.medianMs,
                  meanMs: mean.map { Int64($0.ms.rounded()) }, meanRestricted: mean?.restricted ?? false, longestMs: c.longestMs,
                  exponentialMeanMs: c.tailHazardPerMs > 0 ? Int64((1 / c.tailHazardPerMs).rounded()) : nil,
                  curve: points.map { PatiencePoint(ms: $0.ms, survival: min(1, max(0, $0.survival)), atRisk: Int64($0.atRisk)) })
    }
}

extension PhoneComparison {
    init(_ p: PhoneFigures, threshold: Duration) {
        var erlang: ErlangCStats?
        let seconds = Double(threshold.components.seconds) + Double(threshold.components.attoseconds) / 1e18
        var erlangA: ErlangAStats?
        if let a = p.erlangA {
            erlangA = ErlangAStats(waitProbability: min(1, max(0, a.probabilityOfWaiting)),
                                   abandonProbability: min(1, max(0, a.probabilityOfAbandoning)),
                                   meanWaitMs: Int64((a.meanWait * 1_000).rounded()),
                                   serviceLevel: a.serviceLevel(within: seconds),
                                   meanPatienceMs: Int64((a.meanPatience * 1_000).rounded()))
        }
        if let m = p.erlangC {
            let p90 = m.waitQuantile(0.9)
            erlang = ErlangCStats(waitProbability: min(1, max(0, m.probabilityOfWaiting)),
                                  meanWaitMs: Int64((m.meanWait * 1_000).rounded()),
                                  serviceLevel: min(1, max(0, m.serviceLevel(within: seconds))),
                                  p90WaitMs: p90.isFinite ? Int64((p90 * 1_000).rounded()) : nil)
        }
        self.init(agentsOnDuty: Int64(p.agentsOnDuty), arrivalsPerHour: p.arrivalsPerHour,
                  meanHandleMs: p.meanHandleMs.map { Int64($0.rounded()) }, offeredLoad: p.offeredLoad, erlangC: erlang,
                  erlangA: erlangA, applies: p.patience.abandoned > 0 ? .erlangA : .erlangC,
                  shadowRun: ShadowStats(p.shadow.run), shadowWindow: ShadowStats(p.shadow.window),
                  shadowPending: Int64(p.shadowPending),
                  measured: SpanStats(run: LineStats(p.measured.run), window: LineStats(p.measured.window)))
    }
}
