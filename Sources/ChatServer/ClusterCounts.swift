import Posix
import Redis
import RedisClient

/// What one node has open: connections by role and customer sessions (connected or in
/// their grace period). A plain value.
struct NodeCounts: Equatable, Sendable {
    var customers = 0
    var agents = 0
    var supervisors = 0
    var sessions = 0

    static func + (a: NodeCounts, b: NodeCounts) -> NodeCounts {
        NodeCounts(customers: a.customers + b.customers, agents: a.agents + b.agents,
                   supervisors: a.supervisors + b.supervisors, sessions: a.sessions + b.sessions)
    }
}

/// The cluster's connection counts (protocol/cluster.md, "Statistics"): once a second
/// each node writes its own to `PREFIX:counts` (a field per node, stamped with Redis's
/// clock) and reads everyone's back in the same script; the sum over the nodes heard
/// within `fresh` is what `/v1/stats` reports. Waits, queues and agents need no such
/// sum: every node's replica of the centre has them. On the domain loop.
final class ClusterCounts {
    private let link: RedisConnection
    private let key: String
    private let node: String
    private let freshMilliseconds: Int64
    private var asking = false

    init(link: RedisConnection, keyPrefix: String, node: String, freshMilliseconds: Int64) {
        self.link = link
        key = keyPrefix + ":counts"
        self.node = node
        self.freshMilliseconds = freshMilliseconds
    }

    /// Writes `mine`; `done` gets the sum over the fresh nodes and how many they are
    /// (not called when Redis does not answer).
    func exchange(_ mine: NodeCounts, _ done: @escaping (_ total: NodeCounts, _ nodes: Int) -> Void) {
        guard !asking else { return }
        asking = true
        let value = "\(mine.customers) \(mine.agents) \(mine.supervisors) \(mine.sessions)"
        Self.script.run(on: link, keys: [key], arguments: [node, value]) { [weak self] result in
            guard let self else { return }
            asking = false
            guard case .success(let reply) = result, let (total, nodes) = Self.sum(reply, fresh: freshMilliseconds) else { return }
            done(total, nodes)
        }
    }

    /// The sum of the fields stamped within `fresh` of Redis's now; nil for a reply of
    /// another shape.
    static func sum(_ reply: RESPValue, fresh: Int64) -> (NodeCounts, Int)? {
        guard case .array(let parts?) = reply, parts.count == 2, let now = parts[0].integer,
              case .array(let flat?) = parts[1], flat.count % 2 == 0 else { return nil }
        var total = NodeCounts()
        var nodes = 0
        for index in stride(from: 1, to: flat.count, by: 2) {
            let fields = (flat[index].text ?? "").split(separator: " ").compactMap { Int($0) }
            guard fields.count == 5, now - Int64(fields[0]) <= fresh else { continue }
            total = total + NodeCounts(customers: fields[1], agents: fields[2], supervisors: fields[3], sessions: fields[4])
            nodes += 1
        }
        return (total, nodes)
    }

    /// KEYS: counts. ARGV: node, "customers agents supervisors sessions". Returns
    /// {Redis's now in ms, every field and value}.
    static let script = RedisScript("""
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('HSET', KEYS[1], ARGV[1], now .. ' ' .. ARGV[2])
    return {now, redis.call('HGETALL', KEYS[1])}
    """)
}
