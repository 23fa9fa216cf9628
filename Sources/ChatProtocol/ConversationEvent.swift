/// One event of a conversation's transcript, numbered by `seq` (protocol/README.md,
/// "Conversations, sequence numbers and delivery"). Sent live as a server message
/// and inside `history`; what the transcript store keeps. A plain value.
public enum ConversationEvent: Hashable, Sendable {
    case message(ChatMessage)
    case agentJoined(AgentJoined)
    case transferred(Transferred)
    case ended(ConversationEnded)
    case rated(Rated)
    case erased(Erased)
    /// A message a customer left (the e-mail channel), the first event of its own
    /// record `m-BOOT-N`; an `agent_joined` follows when an agent is handed it.
    case messageLeft(MessageLeft)

    static let types = ["message", "agent_joined", "transferred", "conversation_ended", "rated", "erased", "message_left"]

    public var type: String {
        switch self {
        case .message: "message"
        case .agentJoined: "agent_joined"
        case .transferred: "transferred"
        case .ended: "conversation_ended"
        case .rated: "rated"
        case .erased: "erased"
        case .messageLeft: "message_left"
        }
    }

    public var conversation: String {
        switch self {
        case .message(let e): e.conversation
        case .agentJoined(let e): e.conversation
        case .transferred(let e): e.conversation
        case .ended(let e): e.conversation
        case .rated(let e): e.conversation
        case .erased(let e): e.conversation
        case .messageLeft(let e): e.conversation
        }
    }

    public var seq: Int64 {
        switch self {
        case .message(let e): e.seq
        case .agentJoined(let e): e.seq
        case .transferred(let e): e.seq
        case .ended(let e): e.seq
        case .rated(let e): e.seq
        case .erased(let e): e.seq
        case .messageLeft(let e): e.seq
        }
    }

    public var ts: Int64 {
        switch self {
        case .message(let e): e.ts
        case .agentJoined(let e): e.ts
        case .transferred(let e): e.ts
        case .ended(let e): e.ts
        case .rated(let e): e.ts
        case .erased(let e): e.ts
        case .messageLeft(let e): e.ts
        }
    }

    /// Reads an event whose `type` is `type` (one of `types`).
    static func read(_ object: JSONObject, type: String) throws(ProtocolError) -> ConversationEvent {
        switch type {
        case "message": .message(try Envelope.read(object))
        case "agent_joined": .agentJoined(try Envelope.read(object))
        case "transferred": .transferred(try Envelope.read(object))
        case "conversation_ended": .ended(try Envelope.read(object))
        case "rated": .rated(try Envelope.read(object))
        case "erased": .erased(try Envelope.read(object))
        case "message_left": .messageLeft(try Envelope.read(object))
        default: throw ProtocolError(.unknownType, "no conversation event has type \(ProtocolError.quote(type))", field: "type")
        }
    }

    /// Reads an element of `history.events`.
    static func read(_ value: JSONValue) throws(ProtocolError) -> ConversationEvent {
        guard case .object(let object) = value else { throw .invalid("events", "must hold objects, not \(value.typeName)") }
        guard let t = object["type"] else { throw .missing("type") }
        guard case .string(let type) = t else { throw .invalid("type", "must be a string, not \(t.typeName)") }
        return try read(object, type: type)
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("type", type)
        switch self {
        case .message(let e): e.writeFields(to: &w)
        case .agentJoined(let e): e.writeFields(to: &w)
        case .transferred(let e): e.writeFields(to: &w)
        case .ended(let e): e.writeFields(to: &w)
        case .erased(let e): e.writeFields(to: &w)
        case .rated(let e): e.writeFields(to: &w)
        case .messageLeft(let e): e.writeFields(to: &w)
        }
        w.endObject()
    }
}

/// `message`: a chat message. `agentName` is set exactly when `from` is `.agent`;
/// `clientID` is the `id` of the `send` that made it.
public struct ChatMessage: Hashable, Sendable, WireObject {
    public var conversation: String
    public var seq: Int64
    public var ts: Int64
    public var from: Author
    public var agentName: String?
    public var text: String
    public var clientID: String?

    public init(conversation: String, seq: Int64, ts: Int64, from: Author, agentName: String? = nil, text: String,
                clientID: String? = nil) {
        self.conversation = conversation
        self.seq = seq
        self.ts = ts
        self.from = from
        self.agentName = agentName
        self.text = text
        self.clientID = clientID
    }

    static let requiredFields = ["conversation", "seq", "ts", "from", "text"]
    static let optionalFields = ["agent_name", "client_id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        seq = try f.integer("seq", seqRange)
        ts = try f.integer("ts", cursorRange)
        from = try f.word("from")
        if from == .agent && !f.has("agent_name") { throw .missing("agent_name") }
        if from != .agent && f.has("agent_name") { throw .invalid("agent_name", "is only for messages from an agent") }
        agentName = try f.optionalString("agent_name", .displayName)
        text = try f.string("text", .messageText)
        clientID = try f.optionalString("client_id", .identifier)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("seq", seq)
        w.field("ts", ts)
        w.field("from", from)
        w.field("agent_name", agentName)
        w.field("text", text)
        w.field("client_id", clientID)
    }
}

/// `agent_joined`: an agent took the conversation.
public struct AgentJoined: Hashable, Sendable, WireObject {
    public var conversation: String
    public var seq: Int64
    public var ts: Int64
    public var agentName: String

    public init(conversation: String, seq: Int64, ts: Int64, agentName: String) {
        self.conversation = conversation
        self.seq = seq
        self.ts = ts
        self.agentName = agentName
    }

    static let requiredFields = ["conversation", "seq", "ts", "agent_name"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        seq = try f.integer("seq", seqRange)
        ts = try f.integer("ts", cursorRange)
        agentName = try f.string("agent_name", .displayName)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("seq", seq)
        w.field("ts", ts)
        w.field("agent_name", agentName)
    }
}

/// `transferred`: the conversation left its agent, to a queue or to another agent.
public struct Transferred: Hashable, Sendable, WireObject {
    /// Where it went (exactly one of `to_queue` and `to_agent_name` on the wire).
    public enum Destination: Hashable, Sendable {
        /// The front of this queue's line (queue key).
        case queue(String)
        /// Straight to the agent with this display name.
        case agent(name: String)
    }

    public var conversation: String
    public var seq: Int64
    public var ts: Int64
    public var reason: TransferReason
    public var fromAgentName: String
    public var to: Destination

    public init(conversation: String, seq: Int64, ts: Int64, reason: TransferReason, fromAgentName: String, to: Destination) {
        self.conversation = conversation
        self.seq = seq
        self.ts = ts
        self.reason = reason
        self.fromAgentName = fromAgentName
        self.to = to
    }

    static let requiredFields = ["conversation", "seq", "ts", "reason", "from_agent_name"]
    static let optionalFields = ["to_queue", "to_agent_name"]
    init(reading f: FieldReader) throws(ProtocolError) {
        switch (f.has("to_queue"), f.has("to_agent_name")) {
        case (false, false): throw ProtocolError(.missingField, "'to_queue' or 'to_agent_name' is required", field: "to_queue")
        case (true, true): throw .invalid("to_agent_name", "excludes 'to_queue'")
        default: break
        }
        conversation = try f.string("conversation", .identifier)
        seq = try f.integer("seq", seqRange)
        ts = try f.integer("ts", cursorRange)
        reason = try f.word("reason")
        fromAgentName = try f.string("from_agent_name", .displayName)
        to = f.has("to_queue") ? .queue(try f.string("to_queue", .identifier))
            : .agent(name: try f.string("to_agent_name", .displayName))
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("seq", seq)
        w.field("ts", ts)
        w.field("reason", reason)
        w.field("from_agent_name", fromAgentName)
        switch to {
        case .queue(let key): w.field("to_queue", key)
        case .agent(let name): w.field("to_agent_name", name)
        }
    }
}

/// `conversation_ended`.
public struct ConversationEnded: Hashable, Sendable, WireObject {
    public var conversation: String
    public var seq: Int64
    public var ts: Int64
    public var reason: ConversationEndReason

    public init(conversation: String, seq: Int64, ts: Int64, reason: ConversationEndReason) {
        self.conversation = conversation
        self.seq = seq
        self.ts = ts
        self.reason = reason
    }

    static let requiredFields = ["conversation", "seq", "ts", "reason"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        seq = try f.integer("seq", seqRange)
        ts = try f.integer("ts", cursorRange)
        reason = try f.word("reason")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("seq", seq)
        w.field("ts", ts)
        w.field("reason", reason)
    }
}

/// `rated`: the customer's score (1–5) and comment.
public struct Rated: Hashable, Sendable, WireObject {
    public var conversation: String
    public var seq: Int64
    public var ts: Int64
    public var score: Int
    public var comment: String?

    public init(conversation: String, seq: Int64, ts: Int64, score: Int, comment: String? = nil) {
        self.conversation = conversation
        self.seq = seq
        self.ts = ts
        self.score = score
        self.comment = comment
    }

    static let requiredFields = ["conversation", "seq", "ts", "score"]
    static let optionalFields = ["comment"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        seq = try f.integer("seq", seqRange)
        ts = try f.integer("ts", cursorRange)
        score = Int(try f.integer("score", 1...5))
        comment = try f.optionalString("comment", .comment)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("seq", seq)
        w.field("ts", ts)
        w.field("score", score)
        w.field("comment", comment)
    }
}

/// `erased`: staff erased the customer's text in this conversation up to `through_seq`
/// (a customer's right, protocol/README.md, "Records and a customer's rights"). The
/// marker is a record of its own in the hash chain, so the chain records the erasure
/// instead of breaking; reads serve the earlier messages as `[erased]` from then on.
public struct Erased: Hashable, Sendable, WireObject {
    public var conversation: String
    public var seq: Int64
    public var ts: Int64
    public var throughSeq: Int64
    /// The records whose payload the erasure rewrote in place, with the chain link each
    /// keeps: `seq:sha256hex` pairs joined by commas (storage.md, "Tamper evidence").
    public var rewritten: String?

    public init(conversation: String, seq: Int64, ts: Int64, throughSeq: Int64, rewritten: String? = nil) {
        self.conversation = conversation
        self.seq = seq
        self.ts = ts
        self.throughSeq = throughSeq
        self.rewritten = rewritten
    }

    static let requiredFields = ["conversation", "seq", "ts", "through_seq"]
    static let optionalFields = ["rewritten"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        seq = try f.integer("seq", seqRange)
        ts = try f.integer("ts", cursorRange)
        throughSeq = try f.integer("through_seq", cursorRange)
        rewritten = try f.optionalString("rewritten", .rewrittenList)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("seq", seq)
        w.field("ts", ts)
        w.field("through_seq", throughSeq)
        w.field("rewritten", rewritten)
    }
}

/// `message_left`: what a customer left when nobody could chat (protocol/README.md,
/// "Left messages"), kept as a record of its own so that it survives restarts: the
/// queue, the text, where to answer and the pre-chat card, as the agent's
/// `left_message` carries them. `clientID` is the `id` of the `leave_message`.
public struct MessageLeft: Hashable, Sendable, WireObject {
    public var conversation: String
    public var seq: Int64
    public var ts: Int64
    public var queue: String
    public var text: String
    public var replyTo: String?
    public var customer: CustomerCard
    public var clientID: String?

    public init(conversation: String, seq: Int64, ts: Int64, queue: String, text: String, replyTo: String? = nil,
                customer: CustomerCard, clientID: String? = nil) {
        self.conversation = conversation
        self.seq = seq
        self.ts = ts
        self.queue = queue
        self.text = text
        self.replyTo = replyTo
        self.customer = customer
        self.clientID = clientID
    }

    static let requiredFields = ["conversation", "seq", "ts", "queue", "text", "customer"]
    static let optionalFields = ["reply_to", "client_id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        seq = try f.integer("seq", seqRange)
        ts = try f.integer("ts", cursorRange)
        queue = try f.string("queue", .identifier)
        text = try f.string("text", .messageText)
        replyTo = try f.optionalString("reply_to", .replyTo)
        customer = try f.object("customer")
        clientID = try f.optionalString("client_id", .identifier)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("seq", seq)
        w.field("ts", ts)
        w.field("queue", queue)
        w.field("text", text)
        w.field("reply_to", replyTo)
        w.field("customer", customer)
        w.field("client_id", clientID)
    }
}
