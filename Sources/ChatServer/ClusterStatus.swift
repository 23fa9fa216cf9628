import Posix
import Synchronization

/// What `GET /v1/cluster` and `/healthz` say about the cluster: written by the
/// membership on the domain thread after each heartbeat or link change, read by any
/// I/O loop. Single-node brokers have one too (mode "single"). Sendable.
public final class ClusterStatus: Sendable {
    /// One node as the last heartbeat saw it.
    struct Node: Sendable, Equatable {
        var name: String
        var address: String
        /// Milliseconds since it last beat, by Redis's clock, when we last looked.
        var silentMilliseconds: Int64
        var startedAt: Int64
    }

    /// A snapshot; monotonic times are this process's `monotonicNanoseconds`.
    struct Figures: Sendable {
        var clustered: Bool
        var node: String
        var redis: String?
        var link = "connecting"
        var linkReason: String?
        var linkSince: UInt64 = monotonicNanoseconds()
        var roundTripMicroseconds: Int64?
        var lastHeartbeat: UInt64?
        var holder: String?
        var epoch: Int64?
        var leaseExpires: UInt64?
        var heldHere = false
        var nodes: [Node] = []
        /// Another live process uses this node's name.
        var conflict: String?
        var leaseTimeoutMilliseconds: Int64
        /// The last command-log entry this node applied, and the entry the latest
        /// snapshot it wrote or started from ends at (updated each second).
        var logEntry: Int64 = 0
        var snapshotEntry: Int64 = 0
        /// Decision events this node found missing and wrote (ServiceDesk+DecisionEvents.swift).
        var decisionEventsWritten: UInt64 = 0
        /// The relay's `PUBLISH`es and the events and notes they carried (`RelayBatch`).
        var relayBatches: UInt64 = 0
        var relayEntries: UInt64 = 0
        /// The cluster's connection counts summed over the nodes heard lately, and how
        /// many those were (ClusterCounts; nil until Redis answered once).
        var clusterCounts: NodeCounts?
        var countedNodes = 0
    }

    let figures: Mutex<Figures>

    init(figures: Figures) {
        self.figures = Mutex(figures)
    }

    /// A single node: it is the whole cluster and always routes.
    static func single(node: String) -> ClusterStatus {
        ClusterStatus(figures: Figures(clustered: false, node: node, redis: nil, link: "none", holder: node, epoch: 0, heldHere: true,
                                       nodes: [Node(name: node, address: "", silentMilliseconds: 0, startedAt: 0)],
                                       leaseTimeoutMilliseconds: 0))
    }

    /// Why this node should not get new clients (`/healthz` 503), or nil.
    var unhealthyReason: String? {
        let f = figures.withLock { $0 }
        guard f.clustered else { return nil }
        if f.link != "up" { return "cluster link to Redis \(f.redis ?? "") is \(f.link)" + (f.linkReason.map { ": \($0)" } ?? "") }
        if let conflict = f.conflict { return conflict }
        return nil
    }

    /// The `/v1/cluster` document (protocol/cluster.md, "Status").
    func json(now: UInt64 = monotonicNanoseconds()) -> String {
        let f = figures.withLock { $0 }
        func milliseconds(since time: UInt64) -> Double { Double(now &- time) / 1e6 }
        var w = JSONText()
        w.open()
        w.string("mode", f.clustered ? "cluster" : "single")
        w.string("node", f.node)
        if let redis = f.redis {
            w.key("redis")
            w.open()
            w.string("address", redis)
            w.string("state", f.link)
            if let reason = f.linkReason { w.string("reason", reason) }
            w.number("state_for_ms", milliseconds(since: f.linkSince).rounded())
            if let rtt = f.roundTripMicroseconds { w.number("round_trip_ms", Double(rtt) / 1000) } else { w.null("round_trip_ms") }
            if let beat = f.lastHeartbeat { w.number("last_heartbeat_ms_ago", milliseconds(since: beat).rounded()) }
            w.close()
        } else {
            w.null("redis")
        }
        w.key("lease")
        w.open()
        if let holder = f.holder { w.string("holder", holder) } else { w.null("holder") }
        if let epoch = f.epoch { w.number("epoch", Double(epoch)) } else { w.null("epoch") }
        w.bool("held_here", f.heldHere)
        if let expires = f.leaseExpires {
            w.number("expires_in_ms", expires > now ? (Double(expires - now) / 1e6).rounded() : 0)
        }
        if f.clustered { w.number("timeout_ms", Double(f.leaseTimeoutMilliseconds)) }
        w.close()
        if f.clustered {
            w.key("log")
            w.open()
            w.number("applied_entry", Double(f.logEntry))
            w.number("snapshot_entry", Double(f.snapshotEntry))
            w.number("decision_events_written", Double(f.decisionEventsWritten))
            w.close()
            w.key("relay")
            w.open()
            w.number("batches_published", Double(f.relayBatches))
            w.number("entries_published", Double(f.relayEntries))
            w.close()
        }
        w.key("nodes")
        w.beginArray()
        let sinceBeat = f.lastHeartbeat.map { Int64(milliseconds(since: $0)) } ?? 0
        for node in f.nodes {
            w.element()
            w.open()
            w.string("name", node.name)
            if !node.address.isEmpty { w.string("address", node.address) }
            let silent = f.clustered ? node.silentMilliseconds + sinceBeat : 0
            w.number("seen_ms_ago", Double(silent))
            w.bool("alive", !f.clustered || silent <= f.leaseTimeoutMilliseconds)
            if node.startedAt > 0 { w.number("started_at_ms", Double(node.startedAt)) }
            w.close()
        }
        w.endArray()
        if let conflict = f.conflict { w.string("conflict", conflict) }
        w.close()
        return w.text + "\n"
    }
}
