/// `history`: events of one conversation after a cursor, oldest first, at most
/// `ProtocolLimits.maxHistoryEvents`; `more` means fetch again after the last one.
/// A plain value.
public struct History: Hashable, Sendable, WireObject {
    public var conversation: String
    public var events: [ConversationEvent]
    public var more: Bool

    public init(conversation: String, events: [ConversationEvent], more: Bool) {
        self.conversation = conversation
        self.events = events
        self.more = more
    }

    static let requiredFields = ["conversation", "events", "more"]
    init(reading f: FieldReader) throws(ProtocolError) {
        conversation = try f.string("conversation", .identifier)
        events = try f.array("events", count: 0...ProtocolLimits.maxHistoryEvents) { (v) throws(ProtocolError) in
            try ConversationEvent.read(v)
        }
        more = try f.bool("more")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("conversation", conversation)
        w.key("events")
        w.beginArray()
        for event in events {
            w.element()
            event.write(to: &w)
        }
        w.endArray()
        w.field("more", more)
    }
}
