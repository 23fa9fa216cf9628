// What the server sends about the session and about requests: `welcome`, `ack`,
// `error` (protocol/README.md, "Sessions and authentication", "Requests, acks and
// errors"). Plain values.

/// The answer to a good `hello`.
public struct Welcome: Hashable, Sendable, WireObject {
    public var role: Role
    /// A customer's session token (new or resumed); nil for staff.
    public var session: String?
    public var resumed: Bool
    public var ts: Int64
    /// Business hours are open now.
    public var open: Bool
    public var limits: Limits
    public var queues: [QueueInfo]
    /// The signed-in agent (agents only).
    public var agent: SignedInAgent?

    public init(role: Role, session: String? = nil, resumed: Bool = false, ts: Int64, open: Bool, limits: Limits,
                queues: [QueueInfo], agent: SignedInAgent? = nil) {
        self.role = role
        self.session = session
        self.resumed = resumed
        self.ts = ts
        self.open = open
        self.limits = limits
        self.queues = queues
        self.agent = agent
    }

    static let requiredFields = ["role", "resumed", "ts", "open", "limits", "queues"]
    static let optionalFields = ["session", "agent"]
    init(reading f: FieldReader) throws(ProtocolError) {
        role = try f.word("role")
        session = try f.optionalString("session", .sessionToken)
        resumed = try f.bool("resumed")
        ts = try f.integer("ts", cursorRange)
        open = try f.bool("open")
        limits = try f.object("limits")
        queues = try f.objects("queues", count: 0...1000)
        agent = try f.optionalObject("agent")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("role", role)
        w.field("session", session)
        w.field("resumed", resumed)
        w.field("ts", ts)
        w.field("open", open)
        w.field("limits", limits)
        w.field("queues", queues)
        w.field("agent", agent)
    }
}

/// The limits in force on a connection (the configuration may lower the protocol's).
public struct Limits: Hashable, Sendable, WireObject {
    public var maxTextLength: Int
    public var maxCommentLength: Int
    public var maxMessagesPerSecond: Int

    public init(maxTextLength: Int = ProtocolLimits.maxTextLength, maxCommentLength: Int = ProtocolLimits.maxCommentLength,
                maxMessagesPerSecond: Int = 20) {
        self.maxTextLength = maxTextLength
        self.maxCommentLength = maxCommentLength
        self.maxMessagesPerSecond = maxMessagesPerSecond
    }

    static let requiredFields = ["max_text_length", "max_comment_length", "max_messages_per_second"]
    init(reading f: FieldReader) throws(ProtocolError) {
        maxTextLength = Int(try f.integer("max_text_length", 1...Int64(ProtocolLimits.maxTextLength)))
        maxCommentLength = Int(try f.integer("max_comment_length", 0...Int64(ProtocolLimits.maxCommentLength)))
        maxMessagesPerSecond = Int(try f.integer("max_messages_per_second", 1...1000))
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("max_text_length", maxTextLength)
        w.field("max_comment_length", maxCommentLength)
        w.field("max_messages_per_second", maxMessagesPerSecond)
    }
}

/// A queue (topic) as clients list it: key and name in the session's language.
public struct QueueInfo: Hashable, Sendable, WireObject {
    public var key: String
    public var name: String
    public init(key: String, name: String) { self.key = key; self.name = name }

    static let requiredFields = ["key", "name"]
    init(reading f: FieldReader) throws(ProtocolError) {
        key = try f.string("key", .identifier)
        name = try f.string("name", .displayName)
    }
    func writeFields(to w: inout JSONWriter) { w.field("key", key); w.field("name", name) }
}

/// The signed-in agent, in their `welcome`.
public struct SignedInAgent: Hashable, Sendable, WireObject {
    public var handle: String
    public var name: String
    public var status: AgentStatus
    public var capacity: AgentCapacity
    /// The queue keys the agent serves.
    public var queues: [String]
    /// Replies the console offers with one click (`[console] canned_replies` in the
    /// configuration); absent on the wire when there are none.
    public var cannedReplies: [String]

    public init(handle: String, name: String, status: AgentStatus, capacity: AgentCapacity, queues: [String],
                cannedReplies: [String] = []) {
        self.handle = handle
        self.name = name
        self.status = status
        self.capacity = capacity
        self.queues = queues
        self.cannedReplies = cannedReplies
    }

    static let requiredFields = ["handle", "name", "status", "capacity", "queues"]
    static let optionalFields = ["canned_replies"]
    init(reading f: FieldReader) throws(ProtocolError) {
        handle = try f.string("handle", .identifier)
        name = try f.string("name", .displayName)
        status = try f.word("status")
        capacity = try f.object("capacity")
        queues = try f.array("queues", count: 0...1000) { (v) throws(ProtocolError) in
            try FieldReader.string(v, field: "queues", .identifier)
        }
        cannedReplies = f.has("canned_replies")
            ? try f.array("canned_replies", count: 1...ProtocolLimits.maxCannedReplies) { (v) throws(ProtocolError) in
                try FieldReader.string(v, field: "canned_replies", .cannedReply)
            }
            : []
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("handle", handle)
        w.field("name", name)
        w.field("status", status)
        w.field("capacity", capacity)
        w.field("queues", queues)
        if !cannedReplies.isEmpty { w.field("canned_replies", cannedReplies) }
    }
}

/// How much live work an agent may hold: up to `chat` chats, or one call if `voice` is 1.
public struct AgentCapacity: Hashable, Sendable, WireObject {
    public var chat: Int
    public var voice: Int
    public init(chat: Int, voice: Int) { self.chat = chat; self.voice = voice }

    static let requiredFields = ["chat", "voice"]
    init(reading f: FieldReader) throws(ProtocolError) {
        chat = Int(try f.integer("chat", 0...1000))
        voice = Int(try f.integer("voice", 0...1))
    }
    func writeFields(to w: inout JSONWriter) { w.field("chat", chat); w.field("voice", voice) }
}

/// A request with an `id` was carried out. For `send`, `stored` says where the
/// message is in the transcript.
public struct Ack: Hashable, Sendable, WireObject {
    /// Where a sent message was recorded.
    public struct Stored: Hashable, Sendable {
        public var conversation: String
        public var seq: Int64
        public var ts: Int64
        /// True when this client message id had been recorded before (a re-send);
        /// nil is written as absent.
        public var duplicate: Bool?
        /// The text as stored, only when it differs from what the client sent (a
        /// personal number was masked, protocol/privacy.md): the client shows this.
        public var text: String?

        public init(conversation: String, seq: Int64, ts: Int64, duplicate: Bool? = nil, text: String? = nil) {
            self.conversation = conversation
            self.seq = seq
            self.ts = ts
            self.duplicate = duplicate
            self.text = text
        }
    }

    public var id: String
    public var stored: Stored?

    public init(id: String, stored: Stored? = nil) { self.id = id; self.stored = stored }

    static let requiredFields = ["id"]
    static let optionalFields = ["conversation", "seq", "ts", "duplicate", "text"]
    init(reading f: FieldReader) throws(ProtocolError) {
        let present = ["conversation", "seq", "ts"].filter(f.has)
        if !present.isEmpty, let absent = ["conversation", "seq", "ts"].first(where: { !f.has($0) }) {
            throw .missing(absent)
        }
        if (f.has("duplicate") || f.has("text")) && !f.has("seq") { throw .missing("seq") }
        id = try f.string("id", .identifier)
        if present.isEmpty {
            stored = nil
        } else {
            stored = Stored(conversation: try f.string("conversation", .identifier), seq: try f.integer("seq", seqRange),
                            ts: try f.integer("ts", cursorRange), duplicate: try f.optionalBool("duplicate"),
                            text: try f.optionalString("text", .messageText))
        }
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("id", id)
        if let stored {
            w.field("conversation", stored.conversation)
            w.field("seq", stored.seq)
            w.field("ts", stored.ts)
            w.field("duplicate", stored.duplicate)
            w.field("text", stored.text)
        }
    }
}

/// A request was refused: the `error` message.
public struct ErrorReport: Hashable, Sendable, WireObject {
    public var id: String?
    public var code: ErrorCode
    public var message: String
    public var field: String?
    /// The server closes the connection (with `code.closeCode`) right after.
    public var fatal: Bool
    public var retryAfterMs: Int64?

    public init(id: String? = nil, code: ErrorCode, message: String, field: String? = nil, fatal: Bool = false,
                retryAfterMs: Int64? = nil) {
        self.id = id
        self.code = code
        self.message = ErrorReport.clip(message)
        self.field = field.flatMap { (try? TextRule.errorField.check($0, field: "field")) != nil ? $0 : nil }
        self.fatal = fatal
        self.retryAfterMs = retryAfterMs
    }

    /// The answer to a message the decoder refused (never fatal).
    public init(_ error: ProtocolError) {
        self.init(id: error.requestID, code: error.code, message: error.message, field: error.field)
    }

    /// A message that fits the schema: one line, 1 to 500 code points.
    static func clip(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars.prefix(500) {
            out.append(scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar)
        }
        return out.isEmpty ? "error" : String(out)
    }

    static let requiredFields = ["code", "message", "fatal"]
    static let optionalFields = ["id", "field", "retry_after_ms"]
    init(reading f: FieldReader) throws(ProtocolError) {
        id = try f.optionalString("id", .identifier)
        code = try f.word("code")
        message = try f.string("message", .errorMessage)
        field = try f.optionalString("field", .errorField)
        fatal = try f.bool("fatal")
        retryAfterMs = try f.optionalInteger("retry_after_ms", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("id", id)
        w.field("code", code)
        w.field("message", message)
        w.field("field", field)
        w.field("fatal", fatal)
        w.field("retry_after_ms", retryAfterMs)
    }
}
