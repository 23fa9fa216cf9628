import CSHA1
import Redis

/// A Lua script run by its SHA-1 (`EVALSHA`), loaded on first use: when Redis does not
/// know it yet (a fresh or restarted server answers NOSCRIPT), the same call is made
/// once more with the script's text (`EVAL`), which also caches it there. Scripts
/// run atomically in Redis, which is what the cluster's lease and fencing rest on.
public struct RedisScript: Sendable {
    public let source: String
    /// Lower-case hex SHA-1 of `source`, as Redis names scripts.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        var digest = [UInt8](repeating: 0, count: 20)
        let bytes = Array(source.utf8)
        switchboard_sha1(bytes, bytes.count, &digest)
        sha1 = digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Runs the script on `link` with `keys` and `arguments`.
    public func run(on link: RedisConnection, keys: [String], arguments: [any RedisArgument],
                    _ completion: @escaping RedisConnection.Completion) {
        let tail: [any RedisArgument] = [keys.count] + keys.map { $0 as any RedisArgument } + arguments
        link.send(RedisCommand("EVALSHA", [sha1] + tail)) { [source] result in
            if case .failure(.replied(let text)) = result, text.hasPrefix("NOSCRIPT") {
                link.send(RedisCommand("EVAL", [source] + tail), completion)
            } else {
                completion(result)
            }
        }
    }
}
