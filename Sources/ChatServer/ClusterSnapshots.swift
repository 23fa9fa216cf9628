#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChatCore
import CZlib
import Posix
import Redis
import RedisClient

/// The centre at one place in the command log, as a node restores it instead of
/// replaying the log from its start (protocol/cluster.md, "Snapshots"). A plain value.
package struct ClusterSnapshot: Codable {
    /// The number of the last log entry it includes, and that entry's stream id.
    package var number: Int64
    package var id: String
    package var centre: CenterSnapshot
    /// The requests lately applied ("node@instance number", oldest first): a repeat
    /// that reaches the log after the snapshot is skipped by a restored node too.
    package var requests: [String]
    /// The writer's wait statistics at that entry (fed by the same log, so the
    /// cluster's figures), for the restoring node's `/v1/stats` to go on from.
    package var statistics: WaitStatistics?
    /// Who is connected through which instance ("c CONTACT INSTANCE", "a AGENT
    /// INSTANCE"; ConnectedParties), so that a lost instance's parties are known.
    package var parties: [String]?
}

/// Where the cluster keeps its latest snapshot: the hash `PREFIX:snapshot` (number,
/// id, JSON body). Saving one trims the log to the snapshot before it, so the log
/// holds one interval more than a node starting from the latest snapshot needs: a
/// node that lags by less than that reads on; one further behind finds entries
/// missing (`CommandLog.missing`). On the domain loop, its thread only.
package final class ClusterSnapshots {
    let key: String
    private let logKey: String
    private let link: RedisConnection

    enum LoadFailure: Error, CustomStringConvertible {
        case link(RedisFailure)
        case unreadable(String)

        var description: String {
            switch self {
            case .link(let failure): return failure.description
            case .unreadable(let why): return "the snapshot cannot be read: \(why)"
            }
        }
    }

    init(link: RedisConnection, keyPrefix: String) {
        self.link = link
        key = keyPrefix + ":snapshot"
        logKey = keyPrefix + ":log"
    }

    /// The latest snapshot, or nil when none was written yet.
    func load(_ completion: @escaping (Result<ClusterSnapshot?, LoadFailure>) -> Void) {
        link.send(RedisCommand("HGET", key, "body")) { result in
            switch result {
            case .failure(let failure):
                completion(.failure(.link(failure)))
            case .success(let reply):
                guard case .bulk(let bytes?) = reply else { return completion(.success(nil)) }
                do {
                    completion(.success(try Self.decode(bytes)))
                } catch {
                    completion(.failure(.unreadable("\(error)")))
                }
            }
        }
    }

    /// Stores `snapshot` unless a later one is stored already (then `false`), and
    /// trims the log to the snapshot it replaces.
    func save(_ snapshot: ClusterSnapshot, body: [UInt8], _ completion: @escaping (Result<Bool, RedisFailure>) -> Void) {
        Self.saveScript.run(on: link, keys: [key, logKey], arguments: [snapshot.number, snapshot.id, body]) { result in
            completion(result.map { $0.integer == 1 })
        }
    }

    /// JSON, deflated: "Z", the JSON's length (8 bytes, big-endian), then zlib's
    /// stream. Ten thousand waiting contacts make about 11 MB of JSON and a tenth of
    /// that deflated; a smaller value stalls Redis (and its AOF) less when it is stored.
    package static func encode(_ snapshot: ClusterSnapshot) throws -> [UInt8] {
        let json = [UInt8](try JSONEncoder().encode(snapshot))
        var size = compressBound(uLong(json.count))
        var out = [UInt8](repeating: 0, count: 9 + Int(size))
        out[0] = UInt8(ascii: "Z")
        for i in 0..<8 { out[1 + i] = UInt8(truncatingIfNeeded: UInt64(json.count) >> (56 - 8 * UInt64(i))) }
        let status = out.withUnsafeMutableBufferPointer { buffer in
            compress2(buffer.baseAddress! + 9, &size, json, uLong(json.count), 1)
        }
        guard status == Z_OK else { throw SnapshotFormatError("deflate failed (\(status))") }
        out.removeLast(out.count - 9 - Int(size))
        return out
    }

    /// A snapshot as `encode` wrote it (or plain JSON). Refuses one that claims more
    /// than `maxJSONBytes` once inflated.
    package static func decode(_ bytes: [UInt8]) throws -> ClusterSnapshot {
        guard bytes.first == UInt8(ascii: "Z") else {
            return try JSONDecoder().decode(ClusterSnapshot.self, from: Data(bytes))
        }
        guard bytes.count >= 9 else { throw SnapshotFormatError("truncated header") }
        let length = bytes[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= maxJSONBytes else { throw SnapshotFormatError("\(length) bytes of JSON, more than \(maxJSONBytes)") }
        var json = [UInt8](repeating: 0, count: Int(length))
        var size = uLong(length)
        let status = bytes.withUnsafeBufferPointer { input in
            json.withUnsafeMutableBufferPointer { output in
                uncompress(output.baseAddress, &size, input.baseAddress! + 9, uLong(bytes.count - 9))
            }
        }
        guard status == Z_OK, size == uLong(length) else { throw SnapshotFormatError("inflate failed (\(status))") }
        return try JSONDecoder().decode(ClusterSnapshot.self, from: Data(json))
    }

    /// A snapshot of a centre far beyond one node's memory is refused, not inflated.
    static let maxJSONBytes: UInt64 = 1 << 30

    struct SnapshotFormatError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// KEYS: snapshot, log. ARGV: number, id, body. Returns 1 when stored, 0 when the
    /// stored one is as late or later. Trims the log to the replaced snapshot's entry
    /// (MINID keeps that entry and everything after it).
    static let saveScript = RedisScript("""
    local current = tonumber(redis.call('HGET', KEYS[1], 'number') or '0')
    if tonumber(ARGV[1]) <= current then return 0 end
    local previous = redis.call('HGET', KEYS[1], 'id')
    redis.call('HSET', KEYS[1], 'number', ARGV[1], 'id', ARGV[2], 'body', ARGV[3])
    if previous then redis.call('XTRIM', KEYS[2], 'MINID', previous) end
    return 1
    """)
}
