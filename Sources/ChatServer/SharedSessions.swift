import COpenSSL
import ChatCore
import Redis
import RedisClient

/// Customer sessions a cluster's nodes share (protocol/cluster.md, "Sessions on any
/// node"): the node a customer is on writes what its session is about — its language,
/// contact and conversations — to Redis, so that after a drop the widget can resume on
/// any node (through a load balancer) with the same token. On the domain loop only.
///
/// Redis holds `PREFIX:session:HASH`, HASH the SHA-256 of the token (a token is a
/// bearer secret: Redis never sees it), expiring a day after the last write.
final class SharedSessions {
    /// What a node needs to take a session over.
    struct Record: Equatable {
        var language: ChatCore.Language
        var contact: ContactID?
        var conversations: [ConversationID]

        /// "ko 12 4294967296,4294967297": language, contact (or -), conversations.
        var text: String {
            "\(language.rawValue) \(contact.map { String($0.rawValue) } ?? "-") \(conversations.map { String($0.rawValue) }.joined(separator: ","))"
        }

        init(language: ChatCore.Language, contact: ContactID?, conversations: [ConversationID]) {
            self.language = language
            self.contact = contact
            self.conversations = conversations
        }

        init?(text: String) {
            let parts = text.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, let language = ChatCore.Language(rawValue: String(parts[0])) else { return nil }
            self.language = language
            contact = UInt64(parts[1]).map(ContactID.init)
            var conversations: [ConversationID] = []
            for part in parts[2].split(separator: ",") {
                guard let raw = UInt64(part) else { return nil }
                conversations.append(ConversationID(raw))
            }
            self.conversations = conversations
        }
    }

    static let lifetimeMilliseconds: Int64 = 24 * 3_600 * 1_000
    private let link: RedisConnection
    private let keyPrefix: String
    /// Records Redis has not taken yet (the link was down), by token: written again by
    /// `retry`, the newest record of each session only.
    private var unsaved: [String: Record] = [:]

    init(link: RedisConnection, keyPrefix: String) {
        self.link = link
        self.keyPrefix = keyPrefix
    }

    func key(_ token: String) -> String { "\(keyPrefix):session:\(Self.digest(token))" }

    /// Writes the session's record. Not awaited: a record Redis could not take (its link
    /// down, or still connecting) is kept and written again by `retry`.
    func save(_ token: String, _ record: Record) {
        unsaved[token] = nil
        link.send(RedisCommand("SET", key(token), record.text, "PX", Self.lifetimeMilliseconds)) { [weak self] result in
            guard let self, case .failure = result, unsaved[token] == nil else { return }
            unsaved[token] = record
        }
    }

    /// Writes again what Redis could not take (called about once a second).
    func retry() {
        guard link.state == .up, !unsaved.isEmpty else { return }
        let waiting = unsaved
        unsaved = [:]
        for (token, record) in waiting { save(token, record) }
    }

    /// Records not written yet (for tests).
    var unsavedCount: Int { unsaved.count }

    /// The record of a token: nil when Redis has none; a failure when Redis cannot be
    /// asked (then the session may well exist: the client is told to come back).
    func load(_ token: String, _ completion: @escaping (Result<Record?, RedisFailure>) -> Void) {
        link.send(RedisCommand("GET", key(token))) { result in
            completion(result.map { $0.text.flatMap(Record.init(text:)) })
        }
    }

    static func digest(_ token: String) -> String {
        var bytes = Array(token.utf8)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_Digest(&bytes, bytes.count, &out, &length, EVP_sha256(), nil)
        return out.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
