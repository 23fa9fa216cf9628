import ChatProtocol
import ChatCore

// The wait statistics in `/metrics` (Prometheus text) and `/v1/stats` (JSON), from
// what the domain thread last published (protocol/README.md, "Wait statistics").
// The center as a whole carries the label queue="*" (never a queue key).

extension OperatorPages {
    /// Appends the statistics' families to a Prometheus page.
    static func prometheusStatistics(_ stats: PublishedStats, queueKeys: [String],
                                     family: (String, String, String, [(labels: String, value: String)]) -> Void) {
        typealias Sample = (labels: String, value: String)
        var scopes: [(key: String, wait: WaitStats, phone: PhoneComparison, longest: Int64?)] = []
        for (i, q) in stats.queues.enumerated() where i < queueKeys.count {
            scopes.append((queueKeys[i], q.wait, q.phone, q.longestWaitMs))
        }
        scopes.append(("*", stats.center.wait, stats.center.phone, nil))
        func seconds(_ ms: Int64) -> String { "\(Double(ms) / 1_000)" }
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "NaN" }
        var byLine: [(labels: String, spans: SpanStats)] = []
        for s in scopes {
            byLine.append(("queue=\"\(s.key)\",channel=\"chat\"", s.wait.chat))
            byLine.append(("queue=\"\(s.key)\",channel=\"voice\"", s.wait.voice))
        }

        // Real histograms (cumulative `le` buckets, `_sum`, `_count` in one family), so
        // that a Prometheus server can aggregate them across nodes and compute any
        // quantile; the quantiles themselves are in the `_window_` gauges and /v1/stats.
        func histogram(_ name: String, _ help: String, _ pick: (PublishedStats.BucketRow) -> DurationBuckets) {
            var samples: [Sample] = []
            for row in stats.buckets {
                let labels = "queue=\"\(row.queue)\",channel=\"\(row.channel)\""
                let b = pick(row)
                for (i, bound) in WaitDistribution.bucketBoundsMs.enumerated() {
                    samples.append(("_bucket{\(labels),le=\"\(seconds(bound))\"}", "\(b.cumulativeCounts[i])"))
                }
                samples.append(("_bucket{\(labels),le=\"+Inf\"}", "\(b.count)"))
                samples.append(("_sum{\(labels)}", seconds(b.totalMs)))
                samples.append(("_count{\(labels)}", "\(b.count)"))
            }
            family(name, "histogram", help, samples)
        }
        func windowGauge(_ name: String, _ help: String, _ pick: (LineStats) -> DurationStats) {
            var samples: [Sample] = []
            for (labels, spans) in byLine {
                let d = pick(spans.window)
                for (stat, v) in [("mean", d.meanMs), ("p50", d.p50Ms), ("p90", d.p90Ms), ("p99", d.p99Ms)] {
                    if let v { samples.append(("{\(labels),stat=\"\(stat)\"}", seconds(v))) }
                }
            }
            family(name, "gauge", help, samples)
        }
        func share(_ name: String, _ help: String, _ pick: (LineStats) -> Double?) {
            var samples: [Sample] = []
            for (labels, spans) in byLine {
                for (span, l) in [("run", spans.run), ("window", spans.window)] {
                    if let v = pick(l) { samples.append(("{\(labels),span=\"\(span)\"}", number(v))) }
                }
            }
            family(name, "gauge", help, samples)
        }

        histogram("switchboard_wait_seconds", "Wait (enqueued to assigned), whole run.", \.wait)
        histogram("switchboard_speed_of_answer_seconds", "Speed of answer (enqueued to first agent reply; calls: to assigned), whole run.",
                  \.speedOfAnswer)
        histogram("switchboard_handle_seconds", "Handle time (assigned to ended), whole run.", \.handle)
        windowGauge("switchboard_wait_window_seconds", "Wait over the sliding window.", \.wait)
        windowGauge("switchboard_speed_of_answer_window_seconds", "Speed of answer over the sliding window.", \.speedOfAnswer)
        share("switchboard_service_level", "Share assigned within the threshold, of assigned plus abandoned.", \.serviceLevel)
        share("switchboard_abandonment_rate", "Share abandoned, of assigned plus abandoned.", \.abandonmentRate)
        family("switchboard_contacts_arrived_total", "counter", "Contacts that joined a line.",
               byLine.map { ("{\($0.labels)}", "\($0.spans.run.arrivals)") })
        family("switchboard_contacts_abandoned_total", "counter", "Contacts that ended in line, by reason.",
               byLine.flatMap { l in [("left", l.spans.run.abandoned.left), ("timed_out", l.spans.run.abandoned.timedOut),
                                      ("closed", l.spans.run.abandoned.closed)].map { ("{\(l.labels),reason=\"\($0.0)\"}", "\($0.1)") } })
        var errors: [Sample] = []
        for (labels, spans) in byLine {
            for (kind, d) in [("all", spans.run.estimateError), ("at_enqueue", spans.run.estimateErrorAtEnqueue)] {
                for (q, v) in [("0.5", d.p50Ms), ("0.9", d.p90Ms)] {
                    if let v { errors.append(("{\(labels),estimates=\"\(kind)\",quantile=\"\(q)\"}", seconds(v))) }
                }
            }
        }
        family("switchboard_estimate_error_seconds", "gauge", "|estimated - actual wait|, whole run.", errors)

        let load = stats.center.agents
        family("switchboard_agent_occupancy", "gauge", "Busy share of the capacity of agents on duty.",
               [("now", load.now), ("run", load.run), ("window", load.window)].compactMap { s in
                   s.1.occupancy.map { ("{span=\"\(s.0)\"}", number($0)) } })
        family("switchboard_agent_concurrency", "gauge", "Chats per agent holding at least one chat.",
               [("now", load.now), ("run", load.run), ("window", load.window)].compactMap { s in
                   s.1.concurrency.map { ("{span=\"\(s.0)\"}", number($0)) } })
        family("switchboard_longest_wait_seconds", "gauge", "How long the first contact in line has waited.",
               scopes.compactMap { s in s.longest.map { ("{queue=\"\(s.key)\"}", seconds($0)) } })

        family("switchboard_arrivals_per_hour", "gauge", "Contacts joining a line per hour, over the window.",
               scopes.map { ("{queue=\"\($0.key)\"}", number($0.phone.arrivalsPerHour)) })
        family("switchboard_offered_load_erlangs", "gauge", "Arrival rate times mean handle time.",
               scopes.compactMap { s in s.phone.offeredLoad.map { ("{queue=\"\(s.key)\"}", number($0)) } })
        family("switchboard_erlang_c_wait_probability", "gauge", "Erlang C: probability that a call would wait (absent if unstable).",
               scopes.compactMap { s in s.phone.erlangC.map { ("{queue=\"\(s.key)\"}", number($0.waitProbability)) } })
        family("switchboard_erlang_c_mean_wait_seconds", "gauge", "Erlang C: mean wait of a call.",
               scopes.compactMap { s in s.phone.erlangC.map { ("{queue=\"\(s.key)\"}", seconds($0.meanWaitMs)) } })
        family("switchboard_erlang_c_service_level", "gauge", "Erlang C: share of calls answered within the threshold.",
               scopes.compactMap { s in s.phone.erlangC.map { ("{queue=\"\(s.key)\"}", number($0.serviceLevel)) } })
        family("switchboard_erlang_a_wait_probability", "gauge", "Erlang A: probability that a call would wait (absent until someone abandons).",
               scopes.compactMap { s in s.phone.erlangA.map { ("{queue=\"\(s.key)\"}", number($0.waitProbability)) } })
        family("switchboard_erlang_a_abandon_probability", "gauge", "Erlang A: probability that a caller would hang up before an answer.",
               scopes.compactMap { s in s.phone.erlangA.map { ("{queue=\"\(s.key)\"}", number($0.abandonProbability)) } })
        family("switchboard_erlang_a_mean_wait_seconds", "gauge", "Erlang A: mean time a call waits (answered or not).",
               scopes.compactMap { s in s.phone.erlangA.map { ("{queue=\"\(s.key)\"}", seconds($0.meanWaitMs)) } })
        family("switchboard_erlang_a_service_level", "gauge", "Erlang A: share of calls answered within the threshold.",
               scopes.compactMap { s in s.phone.erlangA.map { ("{queue=\"\(s.key)\"}", number($0.serviceLevel)) } })
        family("switchboard_phone_model_applies", "gauge", "1 for the phone model that applies (erlang_a once anyone abandoned).",
               scopes.flatMap { s in PhoneModel.allCases.map { ("{queue=\"\(s.key)\",model=\"\($0.rawValue)\"}", s.phone.applies == $0 ? "1" : "0") } })
        var patience: [Sample] = []
        var patienceCurve: [Sample] = []
        for (labels, spans) in byLine {
            guard let p = spans.patience else { continue }
            for (stat, v) in [("median", p.medianMs), (p.meanRestricted ? "restricted_mean" : "mean", p.meanMs),
                              ("exponential_mean", p.exponentialMeanMs)] {
                if let v { patience.append(("{\(labels),stat=\"\(stat)\"}", seconds(v))) }
            }
            for point in p.curve { patienceCurve.append(("{\(labels),after=\"\(seconds(point.ms))\"}", number(point.survival))) }
        }
        family("switchboard_patience_seconds", "gauge",
               "Customers' patience, Kaplan-Meier over the whole run (restricted_mean: the curve does not reach 0).", patience)
        family("switchboard_patience_survival", "gauge",
               "Kaplan-Meier curve: share still willing to wait after `after` seconds.", patienceCurve)
        var shadow: [Sample] = []
        var shadowLevel: [Sample] = []
        for s in scopes {
            for (span, st) in [("run", s.phone.shadowRun), ("window", s.phone.shadowWindow)] {
                for (stat, v) in [("mean", st.wait.meanMs), ("p50", st.wait.p50Ms), ("p90", st.wait.p90Ms), ("p99", st.wait.p99Ms)] {
                    if let v { shadow.append(("{queue=\"\(s.key)\",span=\"\(span)\",stat=\"\(stat)\"}", seconds(v))) }
                }
                if let l = st.serviceLevel { shadowLevel.append(("{queue=\"\(s.key)\",span=\"\(span)\"}", number(l))) }
            }
        }
        family("switchboard_shadow_wait_seconds", "gauge", "Shadow phone queue: waits the phone would have given.", shadow)
        family("switchboard_shadow_service_level", "gauge", "Shadow phone queue: share answered within the threshold.", shadowLevel)
        family("switchboard_shadow_pending", "gauge", "Shadow phone queue: contacts whose phone wait is not settled yet.",
               scopes.map { ("{queue=\"\($0.key)\"}", "\($0.phone.shadowPending)") })
    }
}
