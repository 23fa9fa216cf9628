// What the server pushes to agents (and supervisors): offers, assignments, left
// messages, presence (protocol/README.md, "Server → client"). Plain values.

/// What an agent is shown about a customer: the pre-chat form and the language.
public struct CustomerCard: Hashable, Sendable, WireObject {
    public var language: Language
    public var name: String?
    public var orderNumber: String?
    public var product: String?
    public var firstMessage: String?

    public init(language: Language, name: String? = nil, orderNumber: String? = nil, product: String? = nil,
                firstMessage: String? = nil) {
        self.language = language
        self.name = name
        self.orderNumber = orderNumber
        self.product = product
        self.firstMessage = firstMessage
    }

    static let requiredFields = ["language"]
    static let optionalFields = ["name", "order_number", "product", "first_message"]
    init(reading f: FieldReader) throws(ProtocolError) {
        language = try f.word("language")
        name = try f.optionalString("name", .personName)
        orderNumber = try f.optionalString("order_number", .orderNumber)
        product = try f.optionalString("product", .product)
        firstMessage = try f.optionalString("first_message", .firstMessage)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("language", language)
        w.field("name", name)
        w.field("order_number", orderNumber)
        w.field("product", product)
        w.field("first_message", firstMessage)
    }
}

/// `offer` (offer mode): accept or decline before `expiresAt`.
public struct OfferedContact: Hashable, Sendable, WireObject {
    public var offer: String
    public var queue: String
    public var channel: Channel
    public var expiresAt: Int64
    public var waitedMs: Int64?
    public var customer: CustomerCard

    public init(offer: String, queue: String, channel: Channel, expiresAt: Int64, waitedMs: Int64? = nil, customer: CustomerCard) {
        self.offer = offer
        self.queue = queue
        self.channel = channel
        self.expiresAt = expiresAt
        self.waitedMs = waitedMs
        self.customer = customer
    }

    static let requiredFields = ["offer", "queue", "channel", "expires_at", "customer"]
    static let optionalFields = ["waited_ms"]
    init(reading f: FieldReader) throws(ProtocolError) {
        offer = try f.string("offer", .identifier)
        queue = try f.string("queue", .identifier)
        channel = try f.word("channel")
        expiresAt = try f.integer("expires_at", cursorRange)
        waitedMs = try f.optionalInteger("waited_ms", cursorRange)
        customer = try f.object("customer")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("offer", offer)
        w.field("queue", queue)
        w.field("channel", channel)
        w.field("expires_at", expiresAt)
        w.field("waited_ms", waitedMs)
        w.field("customer", customer)
    }
}

/// `offer_withdrawn`: the offer is over without being accepted.
public struct OfferWithdrawn: Hashable, Sendable, WireObject {
    public var offer: String
    public var reason: OfferEndReason
    public init(offer: String, reason: OfferEndReason) { self.offer = offer; self.reason = reason }

    static let requiredFields = ["offer", "reason"]
    init(reading f: FieldReader) throws(ProtocolError) {
        offer = try f.string("offer", .identifier)
        reason = try f.word("reason")
    }
    func writeFields(to w: inout JSONWriter) { w.field("offer", offer); w.field("reason", reason) }
}

/// `assigned`: the conversation is now this agent's; its newest event is `lastSeq`.
public struct Assigned: Hashable, Sendable, WireObject {
    public var conversation: String
    public var queue: String
    public var channel: Channel
    public var customer: CustomerCard
    public var startedAt: Int64
    public var lastSeq: Int64

    public init(conversation: String, queue: String, channel: Channel, customer: CustomerCard, startedAt: Int64, lastSeq: Int64) {
        self.conversation = conversation
        self.queue = queue
        self.channel = channel
        self.customer = customer
        self.startedAt = startedAt
        self.lastSeq = lastSeq
    }

    static let requiredFields = ["conversation", "queue", "channel", "customer", "started_at", "last_seq"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        queue = try f.string("queue", .identifier)
        channel = try f.word("channel")
        customer = try f.object("customer")
        startedAt = try f.integer("started_at", cursorRange)
        lastSeq = try f.integer("last_seq", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("queue", queue)
        w.field("channel", channel)
        w.field("customer", customer)
        w.field("started_at", startedAt)
        w.field("last_seq", lastSeq)
    }
}

/// `left_message`: a message a customer left, handed to this agent.
public struct LeftMessage: Hashable, Sendable, WireObject {
    public var contact: String
    public var queue: String
    public var text: String
    public var replyTo: String?
    public var leftAt: Int64
    public var customer: CustomerCard
    /// The message's record in the transcript store (`m-BOOT-N`), for read-back.
    public var record: String?

    public init(contact: String, queue: String, text: String, replyTo: String? = nil, leftAt: Int64, customer: CustomerCard,
                record: String? = nil) {
        self.contact = contact
        self.queue = queue
        self.text = text
        self.replyTo = replyTo
        self.leftAt = leftAt
        self.customer = customer
        self.record = record
    }

    static let requiredFields = ["contact", "queue", "text", "left_at", "customer"]
    static let optionalFields = ["reply_to", "record"]
    init(reading f: FieldReader) throws(ProtocolError) {
        contact = try f.string("contact", .identifier)
        queue = try f.string("queue", .identifier)
        text = try f.string("text", .messageText)
        replyTo = try f.optionalString("reply_to", .replyTo)
        leftAt = try f.integer("left_at", cursorRange)
        customer = try f.object("customer")
        record = try f.optionalString("record", .identifier)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("contact", contact)
        w.field("queue", queue)
        w.field("text", text)
        w.field("reply_to", replyTo)
        w.field("left_at", leftAt)
        w.field("customer", customer)
        w.field("record", record)
    }
}

/// An agent's presence: in `presence` and in a supervisor's `snapshot`.
public struct AgentState: Hashable, Sendable, WireObject {
    public var handle: String
    public var name: String
    public var status: AgentStatus
    /// False while the agent's connection is lost (their grace period runs).
    public var connected: Bool
    public var capacity: AgentCapacity
    /// Chats held (conversations and pending offers).
    public var chats: Int
    /// Calls held (0 or 1).
    public var calls: Int

    public init(handle: String, name: String, status: AgentStatus, connected: Bool, capacity: AgentCapacity, chats: Int, calls: Int) {
        self.handle = handle
        self.name = name
        self.status = status
        self.connected = connected
        self.capacity = capacity
        self.chats = chats
        self.calls = calls
    }

    static let requiredFields = ["handle", "name", "status", "connected", "capacity", "chats", "calls"]
    init(reading f: FieldReader) throws(ProtocolError) {
        handle = try f.string("handle", .identifier)
        name = try f.string("name", .displayName)
        status = try f.word("status")
        connected = try f.bool("connected")
        capacity = try f.object("capacity")
        chats = Int(try f.integer("chats", 0...1000))
        calls = Int(try f.integer("calls", 0...1))
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("handle", handle)
        w.field("name", name)
        w.field("status", status)
        w.field("connected", connected)
        w.field("capacity", capacity)
        w.field("chats", chats)
        w.field("calls", calls)
    }
}

/// `presence`: an agent's presence changed.
public struct Presence: Hashable, Sendable, WireObject {
    public var agent: AgentState
    public init(agent: AgentState) { self.agent = agent }

    static let requiredFields = ["agent"]
    init(reading f: FieldReader) throws(ProtocolError) { agent = try f.object("agent") }
    func writeFields(to w: inout JSONWriter) { w.field("agent", agent) }
}
