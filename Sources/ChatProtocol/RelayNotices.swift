// What the server relays from one side of a conversation to the other without
// recording it: typing indicators and receipts (protocol/README.md, "Conversations,
// sequence numbers and delivery"). Plain values.

/// `typing`: the other side started or stopped typing.
public struct Typing: Hashable, Sendable, WireObject {
    public var conversation: String
    public var from: Participant
    public var active: Bool
    public init(conversation: String, from: Participant, active: Bool) {
        self.conversation = conversation
        self.from = from
        self.active = active
    }

    static let requiredFields = ["conversation", "from", "active"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        from = try f.word("from")
        active = try f.bool("active")
    }
    func writeFields(to w: inout JSONWriter) { w.field("conversation", conversation); w.field("from", from); w.field("active", active) }
}

/// `receipt`: the other side received (or read) every event up to `seq`.
public struct Receipt: Hashable, Sendable, WireObject {
    public var conversation: String
    public var from: Participant
    public var kind: ReceiptKind
    public var seq: Int64
    public var ts: Int64

    public init(conversation: String, from: Participant, kind: ReceiptKind, seq: Int64, ts: Int64) {
        self.conversation = conversation
        self.from = from
        self.kind = kind
        self.seq = seq
        self.ts = ts
    }

    static let requiredFields = ["conversation", "from", "kind", "seq", "ts"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        from = try f.word("from")
        kind = try f.word("kind")
        seq = try f.integer("seq", seqRange)
        ts = try f.integer("ts", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.field("from", from)
        w.field("kind", kind)
        w.field("seq", seq)
        w.field("ts", ts)
    }
}
