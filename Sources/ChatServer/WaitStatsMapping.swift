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

extension PhoneComparison {
    init(_ p: PhoneFigures, threshold: Duration) {
        var erlang: ErlangCStats?
        if let m = p.erlangC {
            let seconds = Double(threshold.components.seconds) + Double(threshold.components.attoseconds) / 1e18
            let p90 = m.waitQuantile(0.9)
            erlang = ErlangCStats(waitProbability: min(1, max(0, m.probabilityOfWaiting)),
                                  meanWaitMs: Int64((m.meanWait * 1_000).rounded()),
                                  serviceLevel: min(1, max(0, m.serviceLevel(within: seconds))),
                                  p90WaitMs: p90.isFinite ? Int64((p90 * 1_000).rounded()) : nil)
        }
        self.init(agentsOnDuty: Int64(p.agentsOnDuty), arrivalsPerHour: p.arrivalsPerHour,
                  meanHandleMs: p.meanHandleMs.map { Int64($0.rounded()) }, offeredLoad: p.offeredLoad, erlangC: erlang,
                  shadowRun: ShadowStats(p.shadow.run), shadowWindow: ShadowStats(p.shadow.window),
                  shadowPending: Int64(p.shadowPending),
                  measured: SpanStats(run: LineStats(p.measured.run), window: LineStats(p.measured.window)))
    }
}
