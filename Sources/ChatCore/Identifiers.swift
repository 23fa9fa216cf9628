/// Identifies an agent: a dense index handed out by `ContactCenter.addAgent`, stable
/// for the life of the engine. The agent's login name is `Agent.handle`. A plain value.
public struct AgentID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    var index: Int { Int(rawValue) }

    public static func < (lhs: AgentID, rhs: AgentID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "agent#\(rawValue)" }
}

/// Identifies a topic queue: its position in `CenterConfiguration.queues`. The queue's
/// stable machine name is `QueueConfiguration.key` (look it up with
/// `ContactCenter.queueID(forKey:)`). A plain value.
public struct QueueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    var index: Int { Int(rawValue) }

    public static func < (lhs: QueueID, rhs: QueueID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "queue#\(rawValue)" }
}

/// Identifies one contact: one customer's request for help, from arrival to its end.
/// Never reused within an engine's life; not ordered (compare `Contact.arrivedAt`).
/// `rawValue` stays below 2^53, so it survives a JSON number in JavaScript.
///
/// It is not a secret: the glue gives the customer a random session token and keeps
/// the token → `ContactID` map itself.
public struct ContactID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: ContactID, rhs: ContactID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "contact#\(rawValue)" }
}

/// Identifies a conversation: created when a contact is first assigned to an agent and
/// kept through transfers and re-queueing. Never reused within an engine's life; not
/// ordered. `rawValue` stays below 2^53 (JSON-safe).
public struct ConversationID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: ConversationID, rhs: ConversationID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "conversation#\(rawValue)" }
}

/// Identifies an offer (offer mode only). Never reused, so a late accept of an offer
/// that has already expired fails with `unknown_offer` instead of taking a newer one.
/// Numbers rise from 1. A plain value.
public struct OfferID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: OfferID, rhs: OfferID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "offer#\(rawValue)" }
}

/// One waiting line: the customers of one queue who want one live channel (chat or
/// voice). Chats and calls wait apart because different agents can take them (a call
/// needs an agent with no chat open), so each has its own first-in, first-out order
/// and its own place in line. A plain value.
public struct LineID: Codable, Hashable, Sendable, CustomStringConvertible {
    public let queue: QueueID
    /// `.chat` or `.voice`.
    public let channel: Channel

    public init(queue: QueueID, channel: Channel) {
        precondition(channel.isLive, "only chat and voice contacts wait in line")
        self.queue = queue
        self.channel = channel
    }

    /// Dense index: queue × 2 + (voice ? 1 : 0).
    var index: Int { queue.index &* 2 &+ (channel == .voice ? 1 : 0) }

    public var description: String { "\(queue)/\(channel)" }
}
