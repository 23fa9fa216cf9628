#if canImport(Glibc)
import Glibc
#endif
import ChatCore

/// The contact-center results as text, JSON and a self-contained HTML page with SVG
/// charts. Built once at the end of the session; a plain value.
struct CenterReport {
    let scenario: CenterScenario
    let results: [RunResult]
    let aborted: String?
    let sessionErrors: Int
    let firstSessionError: String?
    let command: String

    var chat: RunResult? { results.first { $0.channel == "chat" } }
    var voice: RunResult? { results.first { $0.channel == "voice" } }
    /// Chat as if every chat slot were a server of its own (what chat would wait if a
    /// chat took as long with k open as alone).
    var chatSlots: ErlangC.Model? {
        ErlangC.Model(arrivalRate: scenario.arrivalsPerHour / 3_600 / Double(scenario.queues),
                      meanHandleTime: scenario.handleTime.mean * scenario.chatHandleFactor,
                      agents: scenario.agentsPerQueue * scenario.chatCapacity)
    }
    var errors: Int { results.reduce(sessionErrors) { $0 + $1.errors } }

    /// The validation figures of the voice run: the measured mean wait against Erlang C.
    struct Validation {
        var measured: Double
        var halfWidth: Double?
        var predicted: Double
        /// Erlang C from the run's measured arrival rate and handle time.
        var predictedFromMeasured: Double?
        /// The broker's own mean wait (its clock: enqueued to assigned).
        var broker: Double?
        var relativeDifference: Double { (measured - predicted) / predicted }
        var predictionInInterval: Bool { halfWidth.map { abs(measured - predicted) <= $0 } ?? false }
    }

    var validation: Validation? {
        guard let voice, voice.answered > 0, let model = scenario.erlangC, model.meanWait > 0 else { return nil }
        return Validation(measured: voice.figures.mean, halfWidth: voice.figures.meanHalfWidth, predicted: model.meanWait,
                          predictedFromMeasured: voice.erlangMeasured?.meanWait, broker: voice.broker.meanWait)
    }

    // MARK: Text

    var text: String {
        var out = "contact-center \"\(scenario.name)\": seed \(scenario.seed), \(scenario.contacts) contacts per run, "
            + "\(scenario.queues) queue(s) × \(scenario.agentsPerQueue) agents, \(format(scenario.arrivalsPerHour, 1)) arrivals/shift hour, "
            + "handle \(scenario.handleTime.description), time ×\(format(scenario.timeScale, 0))\n"
        if let model = scenario.erlangC {
            out += "  Erlang C (per queue: \(model.agents) agents, \(format(model.load, 2)) Erlangs): P(wait) \(format(model.probabilityOfWaiting, 3)), "
                + "mean wait \(format(model.meanWait, 1)) s, p90 \(format(model.waitQuantile(0.9), 1)) s\n"
        } else {
            out += "  Erlang C: the phone line is overloaded (load ≥ agents): no steady state\n"
        }
        for r in results {
            let f = r.figures
            out += "  \(r.channel): \(r.answered) answered, \(r.abandoned) abandoned, \(r.failed) failed in \(format(r.realSeconds, 0)) s; "
                + "wait mean \(format(f.mean, 1)) s" + (f.meanHalfWidth.map { " ± \(format($0, 1))" } ?? "")
                + ", p50 \(format(f.p50, 1)) p90 \(format(f.p90, 1)) p99 \(format(f.p99, 1)) s, waited \(format(f.waitedShare * 100, 1))%, "
                + "within \(format(scenario.serviceLevelSeconds, 0)) s \(format(f.serviceLevel * 100, 1))%\n"
            out += "    measured: \(format(r.measuredArrivalsPerHour, 1)) arrivals/h, handle \(format(r.measuredHandleMean, 1)) s"
                + (r.erlangMeasured.map { "; Erlang C from these: mean wait \(format($0.meanWait, 1)) s" } ?? "")
                + "; one-call-per-agent replay: mean wait \(format(r.phoneFigures.mean, 1)) s, \(r.phoneAbandoned) abandoned\n"
            if let shadow = r.broker.runShadowMeanWait, r.phoneFigures.mean > 0 {
                out += "    the broker's live shadow phone queue, this run: mean wait \(format(shadow, 1)) s over "
                    + "\(format(r.broker.runShadowCount ?? 0, 0)) answered, \(format(r.broker.runShadowAbandoned ?? 0, 0)) abandoned, "
                    + "\(format(r.broker.shadowPending ?? 0, 0)) pending; shadow / replay \(format(shadow / r.phoneFigures.mean, 3))\n"
            }
            out += "    replay with the run's own \(r.ownServers) servers per queue: mean wait \(format(r.ownMean, 1)) s; "
                + "measured minus replayed, per contact: mean |Δ| \(format(r.ownMeanAbsoluteDifference, 2)) s, max \(format(r.ownMaxDifference, 2)) s\n"
            if let median = r.estimateErrorMedian, let p90 = r.estimateErrorP90, let share = r.estimateWithinRange {
                out += "    wait told in `queued` against the whole wait (\(r.estimates) contacts): |error| median \(format(median, 1)) s, "
                    + "p90 \(format(p90, 1)) s; ended within the told range (the same whole minute) \(format(share * 100, 1))%\n"
            }
            if r.errors > 0 { out += "    errors \(r.errors): \(r.firstError ?? "")\n" }
        }
        if let v = validation {
            out += "  voice vs Erlang C: \(format(v.measured, 2)) s"
                + (v.halfWidth.map { " ± \(format($0, 2)) (95%, batch means)" } ?? "")
                + " vs \(format(v.predicted, 2)) s: \(v.relativeDifference >= 0 ? "+" : "")\(format(v.relativeDifference * 100, 1))%"
                + (v.predictedFromMeasured.map { "; from the measured rate and handle time \(format($0, 2)) s" } ?? "")
                + (v.broker.map { "; the broker measured \(format($0, 2)) s" } ?? "") + "\n"
        }
        if let voice, let a = scenario.erlangA, voice.allCallers.count > 0 {
            func line(_ what: String, _ m: BatchMean, _ predicted: Double, _ digits: Int, _ unit: String) -> String {
                let agree = m.agrees(with: predicted)
                return "\(what) \(format(m.mean, digits))" + (m.halfWidth.map { " ± \(format($0, digits))" } ?? "") + "\(unit) (95%) vs "
                    + "\(format(predicted, digits))\(unit): " + (agree.inInterval ? "inside the interval" : agree.within10Percent ? "within 10%" : "OUTSIDE")
            }
            out += "  voice vs Erlang A (patience mean \(format(a.meanPatience, 0)) s): "
                + line("mean time in line of every caller", voice.allCallers, a.meanWait, 2, " s") + "; "
                + line("share who hung up", voice.abandonShare, a.probabilityOfAbandoning, 4, "") + "\n"
        }
        out += "  errors: \(errors)" + (firstSessionError.map { " (first: \($0))" } ?? "")
        if let aborted { out += "\n  aborted: \(aborted)" }
        return out
    }

    // MARK: JSON

    var json: String {
        var out = "{\"scenario\":\(scenario.json),\"command\":\(jsonString(command)),"
        out += "\"erlang_c\":\(scenario.erlangC?.json ?? "null"),\"erlang_c_chat_slots\":\(chatSlots?.json ?? "null"),"
        out += "\"runs\":[" + results.map(runJSON).joined(separator: ",") + "],"
        if let v = validation {
            out += "\"voice_vs_erlang_c\":{\"measured_mean\":\(format(v.measured, 3)),"
                + "\"ci95_half_width\":\(v.halfWidth.map { format($0, 3) } ?? "null"),\"erlang_c_mean\":\(format(v.predicted, 3)),"
                + "\"relative_difference\":\(format(v.relativeDifference, 4)),\"erlang_c_in_ci\":\(v.predictionInInterval),"
                + "\"erlang_c_measured_inputs_mean\":\(v.predictedFromMeasured.map { format($0, 3) } ?? "null"),"
                + "\"broker_mean\":\(v.broker.map { format($0, 3) } ?? "null")},"
        } else {
            out += "\"voice_vs_erlang_c\":null,"
        }
        if let voice, let a = scenario.erlangA {
            out += "\"voice_vs_erlang_a\":{\"erlang_a\":\(a.json),\"time_in_line\":\(voice.allCallers.json),"
                + "\"abandon_share\":\(voice.abandonShare.json)},"
        } else {
            out += "\"voice_vs_erlang_a\":null,"
        }
        out += "\"errors\":\(errors),\"session_errors\":\(sessionErrors),"
        out += "\"first_session_error\":\(firstSessionError.map(jsonString) ?? "null"),\"aborted\":\(aborted.map(jsonString) ?? "null")}"
        return out
    }

    private func runJSON(_ r: RunResult) -> String {
        var out = "{\"channel\":\"\(r.channel)\",\"contacts\":\(r.contacts),\"answered\":\(r.answered),\"abandoned\":\(r.abandoned),"
        out += "\"failed\":\(r.failed),\"errors\":\(r.errors),\"first_error\":\(r.firstError.map(jsonString) ?? "null"),"
        out += "\"real_seconds\":\(format(r.realSeconds, 3)),\"late_arrivals\":\(r.lateArrivals),\"max_arrival_lag_ms\":\(format(r.maxArrivalLagMs, 2)),"
        out += "\"wait\":\(r.figures.json),\"measured_arrivals_per_hour\":\(format(r.measuredArrivalsPerHour, 3)),"
        out += "\"measured_handle_time_mean\":\(format(r.measuredHandleMean, 3)),\"erlang_c_measured\":\(r.erlangMeasured?.json ?? "null"),"
        out += "\"phone_replay\":{\"wait\":\(r.phoneFigures.json),\"abandoned\":\(r.phoneAbandoned)},"
        out += "\"own_replay\":{\"servers_per_queue\":\(r.ownServers),\"mean_wait\":\(format(r.ownMean, 3)),"
            + "\"mean_abs_difference\":\(format(r.ownMeanAbsoluteDifference, 3)),\"max_abs_difference\":\(format(r.ownMaxDifference, 3))},"
        out += "\"estimates\":\(r.estimates),\"estimate_error_median\":\(r.estimateErrorMedian.map { format($0, 3) } ?? "null"),"
        out += "\"estimate_error_p90\":\(r.estimateErrorP90.map { format($0, 3) } ?? "null"),"
            + "\"estimate_within_range\":\(r.estimateWithinRange.map { format($0, 4) } ?? "null"),"
        let stats = r.brokerStats.flatMap { $0.first == "{" ? $0 : nil }
        out += "\"broker\":\(r.broker.json),\"broker_stats\":\(stats ?? "null"),"
        out += "\"samples\":{\"at\":[" + r.points.map { format($0.at, 1) }.joined(separator: ",")
            + "],\"wait\":[" + r.points.map { format($0.wait, 2) }.joined(separator: ",")
            + "],\"abandoned_at\":[" + r.abandonedPoints.map { format($0.at, 1) }.joined(separator: ",")
            + "],\"phone_wait\":[" + r.phoneWaits.map { format($0, 2) }.joined(separator: ",") + "]}}"
        return out
    }

    // MARK: HTML

    var html: String {
        let title = results.count > 1 ? "Chat versus phone on the same traffic"
            : "Waits \(results.first.map { $0.channel == "voice" ? "on the phone" : "in chat" } ?? "")"
        var body = "<h1>\(title)</h1>\n" + headline()
        body += "<details><summary>통계 자세히 · The statistics: inputs, confidence intervals, replays, the broker's own figures</summary>\n"
        body += "<p class=\"lead\">Scenario <b>\(escape(scenario.name))</b>: seed \(scenario.seed), \(scenario.contacts) contacts per run, "
            + "\(scenario.queues) queue(s) × \(scenario.agentsPerQueue) agents (\(scenario.chatCapacity) chats or one call each), "
            + "Poisson arrivals at \(format(scenario.arrivalsPerHour, 1)) per shift hour, handle time \(escape(scenario.handleTime.description))"
            + (scenario.chatHandleFactor != 1 ? " (chats × \(format(scenario.chatHandleFactor, 2)))" : "")
            + ", patience \(escape(scenario.patience?.description ?? "unlimited")), think time \(escape(scenario.thinkTime.description)). "
            + "Shift time ran \(format(scenario.timeScale, 0))× faster than real time; all times below are shift seconds.</p>\n"
        body += summaryTable()
        body += "<h2>Wait distribution</h2>\n<p>Share of answered contacts answered within a given wait. Erlang C is the M/M/c "
            + "prediction for the phone; the phone replay is this chat run's own arrivals and handle times through a "
            + "one-call-per-agent first-come-first-served line (the shadow phone queue).</p>\n"
        body += distributionChart()
        body += "<h2>Waits over the shift</h2>\n<p>Each dot is one answered contact at its arrival time; lines are moving means over \(max(25, (results.map(\.points.count).max() ?? 0) / 200)) contacts.</p>\n"
        body += timeChart()
        if let v = validation {
            body += "<h2>Voice against Erlang C</h2>\n<p>Measured mean wait \(format(v.measured, 2)) s"
                + (v.halfWidth.map { " ± \(format($0, 2)) s (95% confidence, batch means over \(scenario.batches) batches after \(scenario.warmUp) warm-up contacts)" } ?? "")
                + "; Erlang C \(format(v.predicted, 2)) s; difference \(format(v.relativeDifference * 100, 1))%"
                + (v.predictedFromMeasured.map { "; Erlang C from the arrival rate and handle time measured in the run \(format($0, 2)) s" } ?? "")
                + (v.broker.map { "; the broker's own mean wait \(format($0, 2)) s" } ?? "") + "."
                + (scenario.patience != nil ? " Erlang C assumes nobody hangs up; in this scenario callers do (after their patience), "
                    + "which shortens the line: the exact replay of the run, with its hang-ups, is the reference here." : "")
                + "</p>\n"
        }
        body += "<h2>The broker's own figures</h2>\n<p>The same runs as the broker measured them (its <code>/v1/stats</code> "
            + "read after each run, once it counted the run's contacts; wait = enqueued to assigned on the broker's clock, so it leaves out the two "
            + "network hops the load tester's waits include). The broker's statistics accumulate over the session: the "
            + "center's shadow phone queue covers every contact so far, chat and voice.</p>\n"
        body += brokerTable()
        for r in results {
            body += "<details><summary>/v1/stats after the \(r.channel) run</summary><pre>\(escape(r.brokerStats ?? "(not available)"))</pre></details>\n"
        }
        body += "</details>\n"
        body += "<p class=\"small\">Produced by <code>\(escape(command))</code>. Errors: \(errors)"
            + (aborted.map { "; aborted: \(escape($0))" } ?? "") + ".</p>\n"
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Switchboard: \(escape(title.lowercased())) (\(escape(scenario.name)))</title>
        <style>
        body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
        h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}.lead{color:#444}.small{font-size:12px;color:#666}
        table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
        th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
        .headline{font-size:1.25em;margin:.4em 0}.plain{color:#333}details{margin-top:1.2em}summary{cursor:pointer;font-weight:600}
        pre{background:#f7f7f7;padding:8px;overflow:auto;max-height:300px;font-size:12px}
        svg{background:#fff;border:1px solid #ddd}svg text{font:12px system-ui,sans-serif;fill:#333}
        </style></head><body>
        \(body)</body></html>

        """
    }

    /// The report's first lines, for a manager: what chat did and what the same
    /// inquiries did (or would have done) by phone, in Korean and English, plain words.
    /// The phone side is the voice run when there was one (the same contacts as real
    /// calls), else the chat run replayed one call per agent.
    func headline() -> String {
        let threshold = format(scenario.serviceLevelSeconds, 0)
        func percent(_ share: Double) -> String { format((share * 100).rounded(), 0) + "%" }
        guard let chat else {
            guard let voice else { return "" }
            let f = voice.figures
            return "<p class=\"headline\" lang=\"ko\">전화: \(threshold)초 안에 \(percent(f.serviceLevel)) 응답, \(voice.abandoned)명 포기</p>\n"
                + "<p class=\"headline\" lang=\"en\">Phone: \(percent(f.serviceLevel)) answered within \(threshold) s, \(voice.abandoned) gave up</p>\n"
        }
        let phone: (level: Double, gaveUp: Int, mean: Double, what: String, whatKo: String) = voice.map {
            ($0.figures.serviceLevel, $0.abandoned, $0.figures.mean,
             "measured with the same inquiries played as calls, one per agent", "같은 문의를 전화로 걸어 상담원 1명당 1통화로 측정")
        } ?? (chat.phoneFigures.serviceLevel, chat.phoneAbandoned, chat.phoneFigures.mean,
              "the chat run's contacts replayed one call per agent, each hanging up after their patience",
              "채팅으로 온 문의를 상담원 1명당 1통화로 재현, 각자 인내심이 다하면 끊음")
        let chatGaveUp = chat.abandoned > 0 ? ", \(chat.abandoned)명 포기" : ""
        let chatGaveUpEn = chat.abandoned > 0 ? ", \(chat.abandoned) gave up" : ""
        var out = "<p class=\"headline\" lang=\"ko\"><b>채팅: \(threshold)초 안에 \(percent(chat.figures.serviceLevel)) 응답\(chatGaveUp)</b> · "
            + "같은 문의가 전화였다면 \(percent(phone.level)), \(phone.gaveUp)명 포기</p>\n"
        out += "<p class=\"headline\" lang=\"en\"><b>Chat: \(percent(chat.figures.serviceLevel)) answered within \(threshold) s\(chatGaveUpEn)</b> · "
            + "the same inquiries by phone: \(percent(phone.level)), \(phone.gaveUp) gave up</p>\n"
        out += "<p class=\"plain\" lang=\"ko\">\(chat.contacts)건의 문의를 상담원 \(scenario.agents)명이 받았습니다. 기다린 시간은 평균 채팅 "
            + "\(format(chat.figures.mean, 0))초, 전화 \(format(phone.mean, 0))초입니다 (전화: \(phone.whatKo)).</p>\n"
        out += "<p class=\"plain\" lang=\"en\">\(chat.contacts) inquiries, \(scenario.agents) agents. Customers who were answered waited "
            + "\(format(chat.figures.mean, 0)) s on average in chat and \(format(phone.mean, 0)) s by phone (phone: \(phone.what)).</p>\n"
        return out
    }

    private func summaryTable() -> String {
        var rows = "<p class=\"small\">Waited: longer than \(format(waitedAllowance, 1)) s (50 real milliseconds, the "
            + "allowance for the network; Erlang C's share is for the same threshold, its P(wait) is "
            + "\(scenario.erlangC.map { format($0.probabilityOfWaiting * 100, 1) + "%" } ?? "undefined")).</p>\n"
        rows += "<table><tr><th></th><th>answered</th><th>abandoned</th><th>mean wait</th><th>95% CI</th><th>p50</th><th>p90</th><th>p99</th><th>waited</th><th>within \(format(scenario.serviceLevelSeconds, 0)) s</th></tr>\n"
        func cell(_ v: Double) -> String { "<td>\(format(v, 1))</td>" }
        for r in results {
            let f = r.figures
            rows += "<tr><td>\(r.channel) (measured)</td><td>\(r.answered)</td><td>\(r.abandoned)</td>" + cell(f.mean)
                + "<td>\(f.meanHalfWidth.map { "± " + format($0, 1) } ?? "")</td>" + cell(f.p50) + cell(f.p90) + cell(f.p99)
                + "<td>\(format(f.waitedShare * 100, 1))%</td><td>\(format(f.serviceLevel * 100, 1))%</td></tr>\n"
            let p = r.phoneFigures
            rows += "<tr><td>\(r.channel) run replayed, one call per agent</td><td>\(p.count)</td><td>\(r.phoneAbandoned)</td>" + cell(p.mean)
                + "<td>\(p.meanHalfWidth.map { "± " + format($0, 1) } ?? "")</td>" + cell(p.p50) + cell(p.p90) + cell(p.p99)
                + "<td>\(format(p.waitedShare * 100, 1))%</td><td>\(format(p.serviceLevel * 100, 1))%</td></tr>\n"
        }
        for (label, model) in [("Erlang C, phone (\(scenario.agentsPerQueue) agents per queue)", scenario.erlangC),
                               ("Erlang C, every chat slot a server", chatSlots)] {
            guard let m = model else {
                rows += "<tr><td>\(label)</td><td colspan=\"9\">overloaded: no steady state</td></tr>\n"
                continue
            }
            rows += "<tr><td>\(label)</td><td></td><td></td>" + cell(m.meanWait) + "<td></td>" + cell(m.waitQuantile(0.5))
                + cell(m.waitQuantile(0.9)) + cell(m.waitQuantile(0.99))
                + "<td>\(format(m.probabilityOfWaitingLonger(than: waitedAllowance) * 100, 1))%</td>"
                + "<td>\(format(m.serviceLevel(within: scenario.serviceLevelSeconds) * 100, 1))%</td></tr>\n"
        }
        rows += "</table>\n"
        for r in results {
            rows += "<p class=\"small\">\(r.channel) run: \(format(r.realSeconds, 0)) real s; measured \(format(r.measuredArrivalsPerHour, 1)) arrivals/shift h, "
                + "handle time \(format(r.measuredHandleMean, 1)) s"
                + (r.erlangMeasured.map { " (Erlang C from these: \(format($0.meanWait, 1)) s)" } ?? "")
                + "; exact FCFS replay on \(r.ownServers) servers per queue: mean wait \(format(r.ownMean, 1)) s, "
                + "measured waits off by \(format(r.ownMeanAbsoluteDifference, 2)) s on average (max \(format(r.ownMaxDifference, 2)) s)"
                + "; arrivals sent more than 2 ms late: \(r.lateArrivals) (max \(format(r.maxArrivalLagMs, 1)) ms)"
                + (r.estimateErrorMedian.map { "; broker's wait estimate off by \(format($0, 1)) s (median of \(r.estimates))" } ?? "")
                + "; errors \(r.errors).</p>\n"
        }
        return rows
    }

    private func brokerTable() -> String {
        func cell(_ v: Double?, _ digits: Int = 1) -> String { "<td>\(v.map { format($0, digits) } ?? "–")</td>" }
        var rows = "<table><tr><th></th><th>answered</th><th>mean wait</th><th>p50</th><th>p90</th><th>p99</th><th>mean handle</th>"
            + "<th>abandoned</th><th>center shadow phone mean (contacts)</th></tr>\n"
        for r in results {
            rows += "<tr><td>\(r.channel), load tester</td><td>\(r.answered)</td>" + cell(r.figures.mean) + cell(r.figures.p50)
                + cell(r.figures.p90) + cell(r.figures.p99) + cell(r.measuredHandleMean) + "<td>\(r.abandoned)</td><td></td></tr>\n"
            let b = r.broker
            rows += "<tr><td>\(r.channel), broker</td>" + cell(b.answered, 0) + cell(b.meanWait) + cell(b.p50) + cell(b.p90)
                + cell(b.p99) + cell(b.meanHandle) + cell(b.abandoned, 0)
                + "<td>\(b.shadowMeanWait.map { format($0, 1) } ?? "–") (\(b.shadowCount.map { format($0, 0) } ?? "–"))</td></tr>\n"
        }
        return rows + "</table>\n"
    }

    /// "Answered at once" allows 50 real milliseconds (see `RunResult`).
    private var waitedAllowance: Double { 0.05 * scenario.timeScale }

    private let chatColor = "#1f77b4", voiceColor = "#d62728", erlangColor = "#222", phoneColor = "#ff7f0e"

    private func distributionChart() -> String {
        var series: [Chart.Series] = []
        var top = 1.0
        func empirical(_ waits: [Double]) -> [Double] { waits.sorted() }
        if let chat { top = max(top, chat.figures.p99, chat.phoneFigures.p99) }
        if let voice { top = max(top, voice.figures.p99) }
        if let m = scenario.erlangC { top = max(top, m.waitQuantile(0.99)) }
        top *= 1.1
        let grid = (0...240).map { top * Double($0) / 240 }
        func cdf(_ sorted: [Double]) -> [(Double, Double)] {
            guard !sorted.isEmpty else { return [] }
            var i = 0
            return grid.map { x in
                while i < sorted.count && sorted[i] <= x { i += 1 }
                return (x, Double(i) / Double(sorted.count))
            }
        }
        if let chat {
            series.append(.init(name: "chat, measured", color: chatColor, points: cdf(empirical(chat.points.map(\.wait)))))
            series.append(.init(name: "chat run as phone (replay)", color: phoneColor, dashed: true, points: cdf(empirical(chat.phoneWaits))))
        }
        if let voice {
            series.append(.init(name: "voice, measured", color: voiceColor, points: cdf(empirical(voice.points.map(\.wait)))))
        }
        if let m = scenario.erlangC {
            series.append(.init(name: "Erlang C (phone)", color: erlangColor, dashed: true, points: grid.map { ($0, m.serviceLevel(within: $0)) }))
        }
        return Chart(xLabel: "wait (shift seconds)", yLabel: "share answered", xMax: top, yMax: 1, series: series).svg
    }

    private func timeChart() -> String {
        var series: [Chart.Series] = []
        var yTop = 1.0, xTop = 1.0
        for r in results {
            let color = r.channel == "chat" ? chatColor : voiceColor
            let minutes = r.points.map { ($0.at / 60, $0.wait) }
            yTop = max(yTop, r.figures.p99 * 1.2)
            xTop = max(xTop, minutes.last?.0 ?? 1)
            let step = max(1, minutes.count / 3_000)
            series.append(.init(name: "\(r.channel) contacts", color: color, dots: true,
                                points: stride(from: 0, to: minutes.count, by: step).map { minutes[$0] }))
            var moving: [(Double, Double)] = []
            var sum = 0.0
            let window = max(25, minutes.count / 200)
            for (i, p) in minutes.enumerated() {
                sum += p.1
                if i >= window { sum -= minutes[i - window].1 }
                if i >= window - 1 && (i % max(1, window / 5) == 0) { moving.append((p.0, sum / Double(window))) }
            }
            series.append(.init(name: "\(r.channel) moving mean", color: color, points: moving))
        }
        if let m = scenario.erlangC {
            yTop = max(yTop, m.meanWait * 1.15)
            series.append(.init(name: "Erlang C mean", color: erlangColor, dashed: true, points: [(0, m.meanWait), (xTop, m.meanWait)]))
        }
        return Chart(xLabel: "arrival (shift minutes)", yLabel: "wait (shift seconds)", xMax: xTop, yMax: yTop, series: series).svg
    }
}

/// HTML text escaping (&, <, >, ").
func escape(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
}

/// A line-and-dot chart as inline SVG, axes from 0. A plain value.
struct Chart {
    struct Series {
        var name: String
        var color: String
        var dashed = false
        var dots = false
        var points: [(Double, Double)]
    }

    var xLabel: String
    var yLabel: String
    var xMax: Double
    var yMax: Double
    var series: [Series]
    var width = 900.0, height = 380.0

    var svg: String {
        let left = 60.0, right = 230.0, top = 15.0, bottom = 45.0
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ v: Double) -> String { format(left + min(max(v / xMax, 0), 1) * plotW, 1) }
        func y(_ v: Double) -> String { format(top + plotH - min(max(v / yMax, 0), 1) * plotH, 1) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
        for tick in Chart.ticks(xMax) {
            out += "<line x1=\"\(x(tick))\" y1=\"\(format(top, 1))\" x2=\"\(x(tick))\" y2=\"\(format(top + plotH, 1))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(x(tick))\" y=\"\(format(top + plotH + 16, 1))\" text-anchor=\"middle\">\(Chart.label(tick))</text>\n"
        }
        for tick in Chart.ticks(yMax) {
            out += "<line x1=\"\(format(left, 1))\" y1=\"\(y(tick))\" x2=\"\(format(left + plotW, 1))\" y2=\"\(y(tick))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(format(left - 6, 1))\" y=\"\(y(tick))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Chart.label(tick))</text>\n"
        }
        out += "<rect x=\"\(format(left, 1))\" y=\"\(format(top, 1))\" width=\"\(format(plotW, 1))\" height=\"\(format(plotH, 1))\" fill=\"none\" stroke=\"#999\"/>\n"
        out += "<text x=\"\(format(left + plotW / 2, 1))\" y=\"\(format(height - 8, 1))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(14 \(format(top + plotH / 2, 1))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (i, s) in series.enumerated() {
            if s.dots {
                out += "<g fill=\"\(s.color)\" fill-opacity=\"0.25\">"
                for p in s.points { out += "<circle cx=\"\(x(p.0))\" cy=\"\(y(p.1))\" r=\"1.6\"/>" }
                out += "</g>\n"
            } else if !s.points.isEmpty {
                let path = s.points.map { "\(x($0.0)),\(y($0.1))" }.joined(separator: " ")
                out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(path)\"/>\n"
            }
            let ly = top + 10 + Double(i) * 20
            let lx = left + plotW + 12
            if s.dots {
                out += "<circle cx=\"\(format(lx + 12, 1))\" cy=\"\(format(ly, 1))\" r=\"3\" fill=\"\(s.color)\" fill-opacity=\"0.5\"/>"
            } else {
                out += "<line x1=\"\(format(lx, 1))\" y1=\"\(format(ly, 1))\" x2=\"\(format(lx + 24, 1))\" y2=\"\(format(ly, 1))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
            }
            out += "<text x=\"\(format(lx + 30, 1))\" y=\"\(format(ly, 1))\" dominant-baseline=\"middle\">\(escape(s.name))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// About five round ticks from 0 to `top`.
    static func ticks(_ top: Double) -> [Double] {
        guard top > 0, top.isFinite else { return [0] }
        let raw = top / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: 0, through: top * 1.0001, by: step).map { $0 }
    }

    static func label(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : format(v, v < 1 ? 2 : 1)
    }
}
