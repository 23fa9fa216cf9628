/// Why a conversation ended. A plain value.
public enum ConversationEndReason: String, Codable, Hashable, Sendable, CaseIterable {
    case agentEnded = "agent_ended"
    case customerLeft = "customer_left"
    /// The customer's connection dropped and their grace period ran out.
    case customerTimedOut = "customer_timed_out"
    /// It was back in a line (after a transfer or an agent's departure) when the center
    /// closed or the queue lost its last agent on duty.
    case closed
}

/// Where a transfer sends a conversation. A plain value.
public enum TransferTarget: Codable, Hashable, Sendable {
    /// To the front of another (or the same) queue's line, ordered among other returned
    /// contacts by original arrival.
    case queue(QueueID)
    /// Straight to an agent who is available and has room.
    case agent(AgentID)
}

/// One move of a conversation away from an agent. A plain value.
public struct Transfer: Codable, Hashable, Sendable {
    /// Why the conversation moved. A plain value.
    public enum Reason: String, Codable, Hashable, Sendable {
        /// The agent asked for it.
        case requested
        /// The agent went offline or their grace period ran out.
        case agentLeft = "agent_left"
    }

    public var from: AgentID
    public var to: TransferTarget
    public var at: Instant
    public var reason: Reason
}

/// The customer's verdict after a conversation: 1 to 5 stars and an optional comment. A plain value.
public struct Rating: Codable, Hashable, Sendable {
    public static let scores = 1...5

    public var score: Int
    public var comment: String?
    public var at: Instant

    public init(score: Int, comment: String?, at: Instant) {
        self.score = score
        self.comment = comment
        self.at = at
    }
}

/// A conversation between a customer and agents: created at the contact's first
/// assignment, kept under the same id through transfers, ended once. Read through
/// `ContactCenter.conversation(_:)`; only the engine changes it, on the domain thread.
public struct Conversation: Codable, Sendable {
    public let id: ConversationID
    public let contact: ContactID
    public let channel: Channel
    public let startedAt: Instant
    /// The agent holding it now (nil while it is back in a line, and once ended).
    public internal(set) var agent: AgentID?
    /// The first agent who held it.
    public let firstAgent: AgentID
    /// Agents who held it after the first, in order (empty unless transferred or returned).
    public internal(set) var laterAgents: [AgentID] = []
    public internal(set) var transfers: [Transfer] = []
    public internal(set) var firstAgentReplyAt: Instant?
    public internal(set) var endedAt: Instant?
    public internal(set) var endReason: ConversationEndReason?
    public internal(set) var rating: Rating?

    init(id: ConversationID, contact: ContactID, channel: Channel, agent: AgentID, at now: Instant) {
        self.id = id
        self.contact = contact
        self.channel = channel
        self.startedAt = now
        self.agent = agent
        self.firstAgent = agent
    }

    public var isEnded: Bool { endedAt != nil }

    /// Every agent who held it, in order.
    public var agents: [AgentID] { [firstAgent] + laterAgents }
}
