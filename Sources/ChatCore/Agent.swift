/// What an agent has said about their availability.
///
/// `available` takes new contacts; `away` keeps what they hold but takes nothing new
/// (pending offers are withdrawn); `offline` holds nothing: going offline returns the
/// agent's conversations to the front of their queues. An agent who is away still
/// counts as on duty, so their queues stay open to customers. A plain value.
public enum AgentStatus: String, Codable, Hashable, Sendable, CaseIterable {
    case available
    case away
    case offline
}

/// How an agent is configured: who they are, which queues they serve and how much
/// they can hold. A plain value.
public struct AgentProfile: Codable, Hashable, Sendable {
    /// Login name; unique.
    public var handle: String
    public var displayName: String
    /// The queues this agent serves (their skills). Order is not significant.
    public var skills: [QueueID]
    public var capacity: Capacity

    public init(handle: String, displayName: String, skills: [QueueID], capacity: Capacity = Capacity()) {
        self.handle = handle
        self.displayName = displayName
        self.skills = skills
        self.capacity = capacity
    }
}

/// An agent as the engine sees them right now. Read it through
/// `ContactCenter.agent(_:)`; only the engine changes it, on the domain thread.
public struct Agent: Codable, Sendable {
    public let id: AgentID
    public let handle: String
    public let displayName: String
    /// Distinct queues served, ascending.
    public let skills: [QueueID]
    public let capacity: Capacity
    public internal(set) var status: AgentStatus = .offline
    /// Set while the agent's connection is lost and their grace period runs.
    public internal(set) var droppedAt: Instant?
    /// Chats held: conversations plus pending chat offers.
    public internal(set) var heldChats = 0
    /// Calls held: conversations plus pending call offers (0 or 1).
    public internal(set) var heldCalls = 0
    /// Conversations currently assigned, oldest first.
    public internal(set) var conversations: [ConversationID] = []
    /// Offers waiting for this agent's answer.
    public internal(set) var offers: [OfferID] = []
    /// When a contact was last assigned to this agent (nil: never).
    public internal(set) var lastAssignedAt: Instant?

    // Bumped on every change that could move the agent in a ranking; a ranking entry
    // with an older version is stale.
    var version: UInt32 = 0
    var awaitingRanking = false
    var dropGeneration: UInt32 = 0

    init(id: AgentID, profile: AgentProfile) {
        self.id = id
        self.handle = profile.handle
        self.displayName = profile.displayName
        self.skills = Array(Set(profile.skills)).sorted()
        self.capacity = profile.capacity
    }

    /// Available and connected: may be given new contacts.
    public var isRoutable: Bool { status == .available && droppedAt == nil }

    /// Not offline (away counts): the agent's queues are attended.
    public var isOnDuty: Bool { status != .offline }

    /// Chats that could be added now (0 while a call is held).
    public var freeChatSlots: Int { heldCalls > 0 ? 0 : max(0, capacity.chat - heldChats) }

    /// Whether a call could be added now: the agent takes calls and holds nothing.
    public var canTakeCall: Bool { capacity.voice > 0 && heldCalls == 0 && heldChats == 0 }

    /// Whether a contact on `channel` could be added now (ignoring status).
    public func hasRoom(for channel: Channel) -> Bool {
        channel == .voice ? canTakeCall : (channel == .chat && freeChatSlots > 0)
    }

    func serves(_ queue: QueueID) -> Bool { skills.contains(queue) }

    /// The routing preference: more free chat slots, then longer since the last
    /// assignment, then the lower id.
    func isBetterChoice(than other: Agent) -> Bool {
        if freeChatSlots != other.freeChatSlots { return freeChatSlots > other.freeChatSlots }
        let mine = lastAssignedAt?.milliseconds ?? .min
        let theirs = other.lastAssignedAt?.milliseconds ?? .min
        return mine != theirs ? mine < theirs : id < other.id
    }
}
