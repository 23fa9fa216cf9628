import Redis

/// How this broker joins a cluster (`serve --cluster redis://… --node-name NAME`, or
/// `[cluster]` in the file; protocol/cluster.md). No Redis address: a single node,
/// as before. A plain value, read once at start-up.
public struct ClusterConfiguration: Sendable, Equatable {
    /// The Redis the nodes share; nil runs one node on its own.
    public var redis: RedisAddress?
    /// This node's name, unique in the cluster: letters, digits, `.`, `_`, `-`.
    public var nodeName: String
    /// How long the routing lease lasts without renewal: a lease holder that dies is
    /// replaced within about this long. Renewed every third of it.
    public var leaseTimeout: Duration = .seconds(3)
    /// The lease holder writes a snapshot of the centre to Redis after this many log
    /// entries, and trims the log to the snapshot before it; a node starts from the
    /// latest snapshot (protocol/cluster.md, "Snapshots").
    public var snapshotEvery: Int64 = 100_000
    /// Prefix of every key the cluster keeps in Redis (several centres may share one Redis).
    public var keyPrefix = "switchboard"

    public init(redis: RedisAddress? = nil, nodeName: String = ClusterConfiguration.defaultNodeName) {
        self.redis = redis
        self.nodeName = nodeName
    }

    /// The host's name: unique enough on one machine per host, and what an operator
    /// would call it. Two nodes on one host need `--node-name`.
    public static var defaultNodeName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "node" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let cleaned = String(name.filter { isNameCharacter($0) }.prefix(64))
        return cleaned.isEmpty ? "node" : cleaned
    }

    /// Why `name` cannot name a node, or nil when it can.
    public static func problem(withNodeName name: String) -> String? {
        guard !name.isEmpty, name.count <= 64 else { return "a node name has 1 to 64 characters" }
        guard name.allSatisfy(isNameCharacter) else {
            return "a node name has only letters, digits, '.', '_' and '-' (not '\(name)')"
        }
        return nil
    }

    static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
    }
}

#if canImport(Glibc)
import Glibc
#endif
