/// What the customer typed in the pre-chat form; every field may be empty.
/// A plain value.
public struct PreChat: Codable, Hashable, Sendable {
    public var customerName: String
    public var orderNumber: String
    public var product: String
    /// The customer's first message; FAQ matching reads it.
    public var firstMessage: String

    public init(customerName: String = "", orderNumber: String = "", product: String = "", firstMessage: String = "") {
        self.customerName = customerName
        self.orderNumber = orderNumber
        self.product = product
        self.firstMessage = firstMessage
    }
}

/// A customer asking for help: which queue (topic), which channel, in which language.
/// `.email` leaves `preChat.firstMessage` as a message for agents; `.faq` cannot be
/// requested (it is an outcome). A plain value.
public struct ContactRequest: Hashable, Sendable {
    public var queue: QueueID
    public var channel: Channel
    public var language: Language
    public var preChat: PreChat

    public init(queue: QueueID, channel: Channel = .chat, language: Language = .ko, preChat: PreChat = PreChat()) {
        self.queue = queue
        self.channel = channel
        self.language = language
        self.preChat = preChat
    }
}

/// Why a contact ended before any agent answered it. A plain value.
public enum AbandonReason: String, Codable, Hashable, Sendable, CaseIterable {
    /// The customer left (closed the widget, hung up).
    case left
    /// The customer's connection dropped and the grace period ran out.
    case timedOut = "timed_out"
    /// The center was closed or nobody on duty served the queue: at arrival (the
    /// contact never queued) or while waiting. "Leave a message" was offered.
    case closed
}

/// How a contact ended. A plain value.
public enum ContactOutcome: Codable, Hashable, Sendable {
    /// An agent answered it; the conversation's `endReason` says how it ended.
    case served
    /// An FAQ answer solved it before it queued (channel `.faq`).
    case deflected
    /// It ended before any agent answered it.
    case abandoned(AbandonReason)
    /// A message left for agents (channel `.email`) was handed to this agent.
    case messageDelivered(AgentID)
}

/// Where a contact is in its life. A plain value.
public enum ContactState: Codable, Hashable, Sendable {
    /// FAQ answers were suggested; waiting for "this solved it" or "no, an agent please".
    case consultingFAQ
    /// In line for an agent.
    case waiting(LineID)
    /// Offered to an agent, who has not answered yet (it is out of the line meanwhile
    /// and returns to its original place if declined).
    case offered(OfferID)
    /// With an agent.
    case inConversation(ConversationID)
    /// A left message, not yet handed to an agent.
    case messagePending
    case ended(ContactOutcome)
}

/// One customer's request for help, from arrival to its end, with every timestamp the
/// statistics need (issue 5). Times are first occurrences: after a transfer or a
/// declined offer `assignedAt` and `offeredAt` keep the first one, and the
/// conversation keeps the rest. Read through `ContactCenter.contact(_:)`; only the
/// engine changes it, on the domain thread.
public struct Contact: Codable, Sendable {
    public let id: ContactID
    /// The channel: as requested (chat, voice, email), then `.faq` if deflected.
    public internal(set) var channel: Channel
    /// The queue it arrived in (the statistics' queue).
    public let queue: QueueID
    /// The queue it is in now (differs after a transfer to another queue).
    public internal(set) var currentQueue: QueueID
    public let language: Language
    public let preChat: PreChat
    /// For `.email` contacts: the message left.
    public internal(set) var message: String?
    /// For `.email` contacts: where the customer wants the answer (a phone number or an
    /// address), if they said.
    public internal(set) var replyTo: String?
    /// For `.email` contacts left after being turned away: the contact turned away.
    public internal(set) var follows: ContactID?

    public let arrivedAt: Instant
    /// First time it joined a line (nil if it never did). For email: when stored.
    public internal(set) var enqueuedAt: Instant?
    public internal(set) var offeredAt: Instant?
    /// First time an agent took it (for email: when handed to an agent).
    public internal(set) var assignedAt: Instant?
    public internal(set) var firstAgentReplyAt: Instant?
    public internal(set) var endedAt: Instant?
    /// Set with `abandonReason` when it ended before any agent answered.
    public internal(set) var abandonedAt: Instant?
    public internal(set) var abandonReason: AbandonReason?

    public internal(set) var state: ContactState
    public internal(set) var conversation: ConversationID?
    /// The agent holding it or offered it now.
    public internal(set) var agent: AgentID?
    /// FAQ answers suggested at arrival.
    public internal(set) var faqSuggestions: [FAQMatch] = []
    /// The FAQ entry that solved it (deflected contacts).
    public internal(set) var deflectedBy: String?
    /// Offers declined or left to expire.
    public internal(set) var offersRefused = 0
    /// Set while the customer's connection is lost and their grace period runs.
    public internal(set) var disconnectedAt: Instant?

    // Order in line: the arrival ticket, or that minus `frontOffset` once it has been
    // returned to the front (after a transfer or an agent's departure).
    var orderKey: Int64 = 0
    // Agents not to be offered this contact again before the given instants.
    var exclusions: [Exclusion] = []
    var disconnectGeneration: UInt32 = 0
    var messageLeftAfter = false

    init(id: ContactID, request: ContactRequest, at now: Instant) {
        self.id = id
        self.channel = request.channel
        self.queue = request.queue
        self.currentQueue = request.queue
        self.language = request.language
        self.preChat = request.preChat
        self.arrivedAt = now
        self.state = .consultingFAQ
    }

    public var isEnded: Bool {
        if case .ended = state { return true }
        return false
    }

    public var outcome: ContactOutcome? {
        if case .ended(let o) = state { return o }
        return nil
    }

    /// Whether routing must look closer before giving it to an agent.
    var isBlocked: Bool { disconnectedAt != nil || !exclusions.isEmpty }

    func excludes(_ agent: AgentID, at now: Instant) -> Bool {
        exclusions.contains { $0.agent == agent && $0.until > now }
    }

    /// An agent not to be offered the contact again before `until`. A plain value.
    struct Exclusion: Codable, Hashable, Sendable {
        var agent: AgentID
        var until: Instant
    }
}
