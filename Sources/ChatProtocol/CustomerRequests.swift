// The bodies of what a customer widget sends (protocol/README.md, "Customer → server").
// Plain values; every `id` is the optional request id unless said otherwise.

let seqRange: ClosedRange<Int64> = 1...ProtocolLimits.maxInteger
let cursorRange: ClosedRange<Int64> = 0...ProtocolLimits.maxInteger

/// A request with nothing but its optional id (`faq_continue`, a customer's `end`,
/// `get_snapshot`).
public struct BareRequest: Hashable, Sendable, WireObject {
    public var id: String?
    public init(id: String? = nil) { self.id = id }

    static let requiredFields: [String] = []
    static let optionalFields = ["id"]
    init(reading f: FieldReader) throws(ProtocolError) { id = try f.optionalString("id", .identifier) }
    func writeFields(to w: inout JSONWriter) { w.field("id", id) }
}

/// `hello` on /v1/ws/customer: a new session, or a resumed one with `session` and the
/// last event the widget holds.
public struct CustomerHello: Hashable, Sendable, WireObject {
    public var id: String?
    public var session: String?
    /// Only with `session`.
    public var lastSeq: Int64?
    public var language: Language?

    public init(id: String? = nil, session: String? = nil, lastSeq: Int64? = nil, language: Language? = nil) {
        self.id = id
        self.session = session
        self.lastSeq = lastSeq
        self.language = language
    }

    static let requiredFields: [String] = []
    static let optionalFields = ["id", "session", "last_seq", "language"]
    init(reading f: FieldReader) throws(ProtocolError) {
        if f.has("last_seq") && !f.has("session") { throw .missing("session") }
        id = try f.optionalString("id", .identifier)
        session = try f.optionalString("session", .sessionToken)
        lastSeq = try f.optionalInteger("last_seq", cursorRange)
        language = try f.optionalWord("language")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("id", id)
        w.field("session", session)
        w.field("last_seq", lastSeq)
        w.field("language", language)
    }
}

/// `start_chat`: the pre-chat form. Empty optional fields may be sent as "" or left out.
/// `channel` `voice` registers a phone call (from a telephony system or the load
/// tester): it waits in the queue's voice line and takes an agent's whole capacity.
public struct StartChat: Hashable, Sendable, WireObject {
    public var id: String?
    /// The queue (topic) key, e.g. `orders`.
    public var queue: String
    /// `chat` when absent.
    public var channel: Channel?
    public var name: String?
    public var orderNumber: String?
    public var product: String?
    public var firstMessage: String?

    public init(id: String? = nil, queue: String, channel: Channel? = nil, name: String? = nil, orderNumber: String? = nil,
                product: String? = nil, firstMessage: String? = nil) {
        self.id = id
        self.queue = queue
        self.channel = channel
        self.name = name
        self.orderNumber = orderNumber
        self.product = product
        self.firstMessage = firstMessage
    }

    static let requiredFields = ["queue"]
    static let optionalFields = ["id", "channel", "name", "order_number", "product", "first_message"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        queue = try f.string("queue", .identifier)
        channel = try f.optionalWord("channel")
        name = try f.optionalString("name", .personName)
        orderNumber = try f.optionalString("order_number", .orderNumber)
        product = try f.optionalString("product", .product)
        firstMessage = try f.optionalString("first_message", .firstMessage)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("id", id)
        w.field("queue", queue)
        w.field("channel", channel)
        w.field("name", name)
        w.field("order_number", orderNumber)
        w.field("product", product)
        w.field("first_message", firstMessage)
    }
}

/// `faq_resolved`: "this solved it", crediting `entry` (nil: the best suggestion).
public struct FAQResolved: Hashable, Sendable, WireObject {
    public var id: String?
    public var entry: String?
    public init(id: String? = nil, entry: String? = nil) { self.id = id; self.entry = entry }

    static let requiredFields: [String] = []
    static let optionalFields = ["id", "entry"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        entry = try f.optionalString("entry", .identifier)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("entry", entry) }
}

/// `leave_message`: a message for agents after `leave_message_offered`.
public struct LeaveMessage: Hashable, Sendable, WireObject {
    public var id: String?
    public var text: String
    public var replyTo: String?
    public init(id: String? = nil, text: String, replyTo: String? = nil) { self.id = id; self.text = text; self.replyTo = replyTo }

    static let requiredFields = ["text"]
    static let optionalFields = ["id", "reply_to"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        text = try f.string("text", .messageText)
        replyTo = try f.optionalString("reply_to", .replyTo)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("text", text); w.field("reply_to", replyTo) }
}

/// A customer's `send`. `id` is required: it is the client message id that makes a
/// re-send after a reconnect harmless.
public struct CustomerSend: Hashable, Sendable, WireObject {
    public var id: String
    public var text: String
    public init(id: String, text: String) { self.id = id; self.text = text }

    static let requiredFields = ["id", "text"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.string("id", .identifier)
        text = try f.string("text", .messageText)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("text", text) }
}

/// A customer's `typing`.
public struct CustomerTyping: Hashable, Sendable, WireObject {
    public var id: String?
    public var active: Bool
    public init(id: String? = nil, active: Bool) { self.id = id; self.active = active }

    static let requiredFields = ["active"]
    static let optionalFields = ["id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        active = try f.bool("active")
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("active", active) }
}

/// A customer's `receipt`: every event up to `seq` was delivered or read.
public struct CustomerReceipt: Hashable, Sendable, WireObject {
    public var id: String?
    public var kind: ReceiptKind
    public var seq: Int64
    public init(id: String? = nil, kind: ReceiptKind, seq: Int64) { self.id = id; self.kind = kind; self.seq = seq }

    static let requiredFields = ["kind", "seq"]
    static let optionalFields = ["id"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        kind = try f.word("kind")
        seq = try f.integer("seq", seqRange)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("kind", kind); w.field("seq", seq) }
}

/// `rate`: 1 to 5 and an optional comment, for the customer's ended conversation.
public struct Rate: Hashable, Sendable, WireObject {
    public var id: String?
    public var score: Int
    public var comment: String?
    public init(id: String? = nil, score: Int, comment: String? = nil) { self.id = id; self.score = score; self.comment = comment }

    static let requiredFields = ["score"]
    static let optionalFields = ["id", "comment"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        score = Int(try f.integer("score", 1...5))
        comment = try f.optionalString("comment", .comment)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("score", score); w.field("comment", comment) }
}

/// A customer's `fetch_history`: events of their conversation after `afterSeq`.
public struct CustomerFetchHistory: Hashable, Sendable, WireObject {
    public var id: String?
    public var afterSeq: Int64?
    public init(id: String? = nil, afterSeq: Int64? = nil) { self.id = id; self.afterSeq = afterSeq }

    static let requiredFields: [String] = []
    static let optionalFields = ["id", "after_seq"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        afterSeq = try f.optionalInteger("after_seq", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) { w.field("id", id); w.field("after_seq", afterSeq) }
}
