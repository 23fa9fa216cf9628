import ChatProtocol
import HTTP
import Posix
import WebSocketServer

/// The operator's HTTP endpoints (BRIEF "Contracts"): `GET /healthz`, `GET /metrics`
/// in the Prometheus text format (0.0.4), `GET /v1/stats` and `GET /v1/cluster` as JSON. Built from
/// `BrokerMetrics` on whichever I/O loop got the request. Stateless.
enum OperatorPages {
    static let paths = ["/healthz", "/metrics", "/v1/stats", "/v1/cluster"]

    static func respond(to request: HTTPRequest, metrics: BrokerMetrics, transcripts: TranscriptHealth? = nil,
                        cluster: ClusterStatus? = nil) -> Route {
        let path = String(request.path)
        guard paths.contains(path) else {
            return .respond(.text(.notFound, "no such resource: \(path)\n"))
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .respond(.text(.methodNotAllowed, "\(path) answers GET only\n", headers: [("Allow", "GET, HEAD")]))
        }
        switch path {
        case "/healthz":
            if let failure = transcripts?.failure {
                return .respond(.text(.serviceUnavailable, "transcripts failing: \(failure)\n"))
            }
            if let reason = cluster?.unhealthyReason {
                return .respond(.text(.serviceUnavailable, "\(reason)\n"))
            }
            return .respond(.text(.ok, "ok\n"))
        case "/metrics":
            var text = prometheus(metrics)
            if let transcripts { text += transcriptFamilies(transcripts) }
            return .respond(HTTPResponse(status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                         body: Array(text.utf8)))
        case "/v1/cluster":
            let json = (cluster ?? .single(node: "node")).json()
            return .respond(HTTPResponse(status: .ok, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                                         body: Array(json.utf8)))
        default:
            return .respond(HTTPResponse(status: .ok, headers: [("Content-Type", "application/json")],
                                         body: Array(stats(metrics, cluster: cluster).utf8)))
        }
    }

    /// The transcript store's families (protocol/storage.md, "Health").
    static func transcriptFamilies(_ health: TranscriptHealth) -> String {
        let f = health.figures.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        family("switchboard_transcripts_healthy", "gauge", "1 while the transcript store can write; 0 while it fails (see /healthz).",
               f.failure == nil ? "1" : "0")
        family("switchboard_transcripts_appended_bytes_total", "counter", "Record bytes appended since start.", "\(f.appendedBytes)")
        family("switchboard_transcripts_written_bytes_total", "counter", "Record bytes handed to the OS since start.", "\(f.writtenBytes)")
        family("switchboard_transcripts_synced_bytes_total", "counter", "Record bytes on stable storage since start.", "\(f.syncedBytes)")
        family("switchboard_transcripts_pending_bytes", "gauge", "Appended bytes not yet written (backpressure past the limit).",
               "\(f.appendedBytes &- f.writtenBytes)")
        family("switchboard_transcripts_ring_bytes", "gauge", "Bytes counted in the in-memory ring.", "\(f.ringBytes)")
        family("switchboard_transcripts_ring_budget_bytes", "gauge", "The ring's byte budget.", "\(f.ringBudget)")
        family("switchboard_transcripts_ring_events", "gauge", "Events held in the ring.", "\(f.ringEvents)")
        family("switchboard_transcripts_conversations", "gauge", "Conversations with stored events.", "\(f.conversations)")
        family("switchboard_transcripts_refused_total", "counter", "Client messages refused because the store was behind.", "\(f.refused)")
        family("switchboard_transcripts_recovered_records", "gauge", "Records found by recovery at start.", "\(f.recoveredRecords)")
        family("switchboard_transcripts_recovery_repairs", "gauge",
               "Repairs by recovery at start: torn tails cut, damaged ranges skipped, segments removed.", "\(f.repairs)")
        family("switchboard_transcripts_recovery_lost_records", "gauge",
               "Records recovery found lost to damage at start (recovery-BOOT.json names them).", "\(f.lostRecords)")
        family("switchboard_transcripts_recovery_damaged_bytes", "gauge",
               "Damaged bytes recovery skipped and copied beside their segments at start.", "\(f.damagedBytes)")
        return out
    }

    static func prometheus(_ metrics: BrokerMetrics) -> String {
        let g = metrics.gauges
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { out += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        family("switchboard_connections_open", "gauge", "Open chat WebSockets by role.",
               Role.allCases.map { ("{role=\"\($0.rawValue)\"}", "\(metrics.open($0))") })
        family("switchboard_connections_total", "counter", "Chat WebSockets opened since start.",
               [("", "\(metrics.connectionsTotal.load(ordering: .relaxed))")])
        family("switchboard_messages_received_total", "counter", "Client messages received.",
               [("", "\(metrics.messagesReceived.load(ordering: .relaxed))")])
        family("switchboard_messages_relayed_total", "counter", "Chat messages recorded and relayed.",
               [("", "\(metrics.messagesRelayed.load(ordering: .relaxed))")])
        family("switchboard_privacy_masked_total", "counter", "Client messages in which a personal number was masked, by kind.",
               metrics.maskedCounts.map { ("{kind=\"\($0.kind)\"}", "\($0.count)") })
        let errors = metrics.errorCounts
        family("switchboard_errors_total", "counter", "Error messages sent, by code.",
               errors.keys.sorted { $0.rawValue < $1.rawValue }.map { ("{code=\"\($0.rawValue)\"}", "\(errors[$0]!)") })
        family("switchboard_queue_waiting", "gauge", "Contacts waiting in line, by queue and channel.",
               g.queues.flatMap { q in [("{queue=\"\(q.key)\",channel=\"chat\"}", "\(q.waitingChats)"),
                                        ("{queue=\"\(q.key)\",channel=\"voice\"}", "\(q.waitingCalls)")] })
        family("switchboard_queue_agents_on_duty", "gauge", "Agents not offline who serve the queue.",
               g.queues.map { ("{queue=\"\($0.key)\"}", "\($0.agentsOnDuty)") })
        family("switchboard_queue_pending_messages", "gauge", "Left messages not yet handed to an agent.",
               g.queues.map { ("{queue=\"\($0.key)\"}", "\($0.pendingMessages)") })
        family("switchboard_queue_deflected_total", "counter", "Contacts resolved by an FAQ answer.",
               g.queues.map { ("{queue=\"\($0.key)\"}", "\($0.deflected)") })
        family("switchboard_queue_rejected_full_total", "counter", "Arrivals refused because the queue was full.",
               g.queues.map { ("{queue=\"\($0.key)\"}", "\($0.rejectedFull)") })
        family("switchboard_queue_closed_out_total", "counter", "Contacts offered \"leave a message\".",
               g.queues.map { ("{queue=\"\($0.key)\"}", "\($0.closedOut)") })
        family("switchboard_agents", "gauge", "Agents by status.",
               g.agentsByStatus.keys.sorted().map { ("{status=\"\($0)\"}", "\(g.agentsByStatus[$0]!)") })
        family("switchboard_agents_connected", "gauge", "Agents with an open connection.", [("", "\(g.agentsConnected)")])
        family("switchboard_customer_sessions", "gauge", "Customer sessions (connected or in their grace period).",
               [("", "\(g.customerSessions)")])
        family("switchboard_conversations_open", "gauge", "Conversations held by agents.", [("", "\(g.openConversations)")])
        family("switchboard_open", "gauge", "1 while business hours are open.", [("", g.open ? "1" : "0")])
        family("switchboard_uptime_seconds", "gauge", "Seconds since the broker started.", [("", "\(metrics.uptimeSeconds)")])
        family("switchboard_build_info", "gauge", "Always 1; the labels say which build this is.",
               [("{version=\"\(BuildInfo.version)\",swift=\"\(BuildInfo.swiftVersion)\"}", "1")])
        if let p = ProcessFigures.current() {
            // The names every Prometheus client library uses, so stock dashboards work.
            family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", [("", "\(p.cpuSeconds)")])
            family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [("", "\(p.residentBytes)")])
            family("process_open_fds", "gauge", "Number of open file descriptors.", [("", "\(p.openFileDescriptors)")])
            family("process_max_fds", "gauge", "Maximum number of open file descriptors.", [("", "\(p.maxFileDescriptors)")])
            family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
                   [("", "\(p.startTimeSeconds)")])
        }
        if let stats = g.stats {
            prometheusStatistics(stats, queueKeys: g.queues.map(\.key)) { family($0, $1, $2, $3) }
        }
        return out
    }

    /// In a cluster, `connections` and `customer_sessions` are the cluster's (summed over
    /// the nodes, ClusterCounts) and `node` gives this node's own; waits, queues and
    /// agents come from the replicated centre, the same on every node. The counters
    /// (`connections_total`, `messages_*`) are this process's.
    static func stats(_ metrics: BrokerMetrics, cluster: ClusterStatus? = nil) -> String {
        let g = metrics.gauges
        let summed = cluster?.figures.withLock { f in f.clusterCounts.map { ($0, f.countedNodes) } }
        var w = JSONText()
        w.open()
        w.number("uptime_seconds", metrics.uptimeSeconds)
        w.bool("open", g.open)
        let mine = NodeCounts(customers: metrics.open(.customer), agents: metrics.open(.agent),
                              supervisors: metrics.open(.supervisor), sessions: g.customerSessions)
        func counts(_ c: NodeCounts) {
            w.open()
            w.number(Role.customer.rawValue, Double(c.customers))
            w.number(Role.agent.rawValue, Double(c.agents))
            w.number(Role.supervisor.rawValue, Double(c.supervisors))
            w.close()
        }
        w.key("connections")
        counts(summed?.0 ?? mine)
        if let (_, nodes) = summed {
            w.key("node")
            w.open()
            w.key("connections")
            counts(mine)
            w.number("customer_sessions", Double(mine.sessions))
            w.number("nodes_counted", Double(nodes))
            w.close()
        }
        w.number("connections_total", Double(metrics.connectionsTotal.load(ordering: .relaxed)))
        w.number("messages_received", Double(metrics.messagesReceived.load(ordering: .relaxed)))
        w.number("messages_relayed", Double(metrics.messagesRelayed.load(ordering: .relaxed)))
        w.number("customer_sessions", Double(summed?.0.sessions ?? g.customerSessions))
        w.number("conversations_open", Double(g.openConversations))
        w.key("agents")
        w.open()
        for status in g.agentsByStatus.keys.sorted() { w.number(status, Double(g.agentsByStatus[status]!)) }
        w.number("connected", Double(g.agentsConnected))
        w.close()
        w.key("queues")
        w.beginArray()
        for q in g.queues {
            w.element()
            w.open()
            w.string("queue", q.key)
            w.number("waiting_chats", Double(q.waitingChats))
            w.number("waiting_calls", Double(q.waitingCalls))
            w.number("agents_on_duty", Double(q.agentsOnDuty))
            w.number("pending_messages", Double(q.pendingMessages))
            w.number("deflected", Double(q.deflected))
            w.number("rejected_full", Double(q.rejectedFull))
            w.number("closed_out", Double(q.closedOut))
            w.number("messages_left", Double(q.messagesLeft))
            if let stats = g.stats, let i = g.queues.firstIndex(where: { $0.key == q.key }), i < stats.queues.count {
                if let longest = stats.queues[i].longestWaitMs { w.number("longest_wait_ms", Double(longest)) }
                w.raw("wait", stats.queues[i].wait.json)
                w.raw("phone", stats.queues[i].phone.json)
            }
            w.close()
        }
        w.endArray()
        if let stats = g.stats {
            w.raw("stats", stats.center.json)
            w.key("recent_contacts")
            w.beginArray()
            for row in stats.recentContacts {
                w.element()
                w.open()
                w.string("contact", row.contact)
                w.string("queue", row.queue)
                w.string("channel", row.channel)
                if let wait = row.waitMs { w.number("wait_ms", Double(wait)) }
                w.bool("abandoned", row.waitMs == nil)
                w.number("shadow_wait_ms", Double(row.shadowWaitMs))
                w.bool("shadow_abandoned", row.shadowAbandoned)
                w.close()
            }
            w.endArray()
        }
        w.key("errors")
        w.open()
        let errors = metrics.errorCounts
        for code in errors.keys.sorted(by: { $0.rawValue < $1.rawValue }) { w.number(code.rawValue, Double(errors[code]!)) }
        w.close()
        w.close()
        return w.text + "\n"
    }
}

/// A tiny JSON text builder for `/v1/stats` (keys are ASCII; values are numbers,
/// booleans, queue keys, which are identifiers, and JSON made by `ChatProtocol`).
/// A plain value.
struct JSONText {
    private(set) var text = ""
    private var needsComma = false

    private mutating func separate() {
        if needsComma { text += "," }
        needsComma = true
    }

    mutating func key(_ name: String) {
        separate()
        text += "\"\(name)\":"
        needsComma = false
    }

    mutating func element() { separate(); needsComma = false }
    mutating func open() { text += "{"; needsComma = false }
    mutating func close() { text += "}"; needsComma = true }
    mutating func beginArray() { text += "["; needsComma = false }
    mutating func endArray() { text += "]"; needsComma = true }

    mutating func number(_ name: String, _ value: Double) {
        key(name)
        text += value == value.rounded() && abs(value) < 1e15 ? "\(Int64(value))" : "\(value)"
        needsComma = true
    }

    mutating func bool(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
        needsComma = true
    }

    /// A member whose value is already JSON text.
    mutating func raw(_ name: String, _ json: String) {
        key(name)
        text += json
        needsComma = true
    }

    mutating func string(_ name: String, _ value: String) {
        key(name)
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case _ where scalar.value < 0x20: text += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
        needsComma = true
    }

    mutating func null(_ name: String) {
        key(name)
        text += "null"
        needsComma = true
    }
}
