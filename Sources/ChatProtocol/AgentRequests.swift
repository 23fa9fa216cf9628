// The bodies of what an agent console (and, for `fetch_history`, a supervisor
// dashboard) sends (protocol/README.md, "Agent → server"). Plain values.

/// `set_status`: available, away or offline.
public struct SetStatus: Hashable, Sendable, WireObject {
    public var id: String?
    public var status: AgentStatus
    public init(id: String? = nil, status: AgentStatus) { self.id = id; self.status = status }

    static let requiredFields = ["status"]
    static let optionalFields = ["id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        status = try f.word("status")
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("status", status) }
}

/// `accept` or `decline` of an offer.
public struct OfferReply: Hashable, Sendable, WireObject {
    public var id: String?
    public var offer: String
    public init(id: String? = nil, offer: String) { self.id = id; self.offer = offer }

    static let requiredFields = ["offer"]
    static let optionalFields = ["id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        offer = try f.string("offer", .identifier)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("offer", offer) }
}

/// An agent's `send`. `id` is required: it is the client message id.
public struct AgentSend: Hashable, Sendable, WireObject {
    public var id: String
    public var conversation: String
    public var text: String
    public init(id: String, conversation: String, text: String) {
        self.id = id
        self.conversation = conversation
        self.text = text
    }

    static let requiredFields = ["id", "conversation", "text"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.string("id", .identifier)
        conversation = try f.string("conversation", .identifier)
        text = try f.string("text", .messageText)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("conversation", conversation); w.field("text", text) }
}

/// An agent's `typing` in one conversation.
public struct AgentTyping: Hashable, Sendable, WireObject {
    public var id: String?
    public var conversation: String
    public var active: Bool
    public init(id: String? = nil, conversation: String, active: Bool) {
        self.id = id
        self.conversation = conversation
        self.active = active
    }

    static let requiredFields = ["conversation", "active"]
    static let optionalFields = ["id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        conversation = try f.string("conversation", .identifier)
        active = try f.bool("active")
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("conversation", conversation); w.field("active", active) }
}

/// An agent's `receipt` in one conversation.
public struct AgentReceipt: Hashable, Sendable, WireObject {
    public var id: String?
    public var conversation: String
    public var kind: ReceiptKind
    public var seq: Int64
    public init(id: String? = nil, conversation: String, kind: ReceiptKind, seq: Int64) {
        self.id = id
        self.conversation = conversation
        self.kind = kind
        self.seq = seq
    }

    static let requiredFields = ["conversation", "kind", "seq"]
    static let optionalFields = ["id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        conversation = try f.string("conversation", .identifier)
        kind = try f.word("kind")
        seq = try f.integer("seq", seqRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("id", id)
        w.field("conversation", conversation)
        w.field("kind", kind)
        w.field("seq", seq)
    }
}

/// `transfer`: to the front of a queue's line, or straight to an agent.
public struct TransferRequest: Hashable, Sendable, WireObject {
    /// Where the conversation goes (exactly one of `queue` and `agent` on the wire).
    public enum Target: Hashable, Sendable {
        /// A queue key.
        case queue(String)
        /// An agent's handle.
        case agent(String)
    }

    public var id: String?
    public var conversation: String
    public var target: Target
    public init(id: String? = nil, conversation: String, target: Target) {
        self.id = id
        self.conversation = conversation
        self.target = target
    }

    static let requiredFields = ["conversation"]
    static let optionalFields = ["id", "queue", "agent"]
    init(reading f: FieldReader) throws(ProtocolError) {
        switch (f.has("queue"), f.has("agent")) {
        case (false, false): throw ProtocolError(.missingField, "'queue' or 'agent' is required", field: "queue")
        case (true, true): throw .invalid("agent", "excludes 'queue': give one or the other")
        default: break
        }
        id = try f.optionalString("id", .identifier)
        conversation = try f.string("conversation", .identifier)
        target = f.has("queue") ? .queue(try f.string("queue", .identifier)) : .agent(try f.string("agent", .identifier))
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("id", id)
        w.field("conversation", conversation)
        switch target {
        case .queue(let key): w.field("queue", key)
        case .agent(let handle): w.field("agent", handle)
        }
    }
}

/// An agent's `end` of one conversation.
public struct AgentEnd: Hashable, Sendable, WireObject {
    public var id: String?
    public var conversation: String
    public init(id: String? = nil, conversation: String) { self.id = id; self.conversation = conversation }

    static let requiredFields = ["conversation"]
    static let optionalFields = ["id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        conversation = try f.string("conversation", .identifier)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("conversation", conversation) }
}

/// `fetch_history` from an agent or a supervisor: events after `afterSeq` (nil: 0).
public struct FetchHistory: Hashable, Sendable, WireObject {
    public var id: String?
    public var conversation: String
    public var afterSeq: Int64?
    public init(id: String? = nil, conversation: String, afterSeq: Int64? = nil) {
        self.id = id
        self.conversation = conversation
        self.afterSeq = afterSeq
    }

    static let requiredFields = ["conversation"]
    static let optionalFields = ["id", "after_seq"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        conversation = try f.string("conversation", .identifier)
        afterSeq = try f.optionalInteger("after_seq", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("conversation", conversation); w.field("after_seq", afterSeq) }
}
