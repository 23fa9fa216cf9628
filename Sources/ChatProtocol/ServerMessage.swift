/// Everything the server sends, on any endpoint (protocol/README.md,
/// "Server → client"). The glue builds these from ChatCore's notices and encodes
/// them; tests, the load-test harness and fuzzing decode them strictly. A plain value.
public enum ServerMessage: WireMessage {
    case welcome(Welcome)
    case ack(Ack)
    case error(ErrorReport)
    case faqSuggestions(FAQSuggestions)
    case queued(Queued)
    case placeInLine(PlaceInLine)
    case leaveMessageOffered(LeaveMessageOffered)
    case messageStored(MessageStored)
    case privacyNotice(PrivacyNotice)
    case offer(OfferedContact)
    case offerWithdrawn(OfferWithdrawn)
    case assigned(Assigned)
    case leftMessage(LeftMessage)
    case presence(Presence)
    case typing(Typing)
    case receipt(Receipt)
    case snapshot(Snapshot)
    case history(History)
    /// A conversation event (`message`, `agent_joined`, `transferred`,
    /// `conversation_ended`, `rated`).
    case event(ConversationEvent)

    static let types = ["welcome", "ack", "error", "faq_suggestions", "queued", "place_in_line",
                        "leave_message_offered", "message_stored", "privacy_notice", "offer", "offer_withdrawn", "assigned",
                        "left_message", "presence", "typing", "receipt", "snapshot", "history"]
        + ConversationEvent.types

    /// `types` for lookup: a client decodes every message it gets through here.
    private static let knownTypes = Set(types)

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> ServerMessage {
        try decode(bytes, utf8: .unchecked)
    }

    /// Decodes bytes whose UTF-8 `utf8` says was checked already (a client's WebSocket
    /// layer does for every text message) or not.
    public static func decode(_ bytes: UnsafeRawBufferPointer, utf8: UTF8Assurance) throws(ProtocolError) -> ServerMessage {
        let (object, type, id) = try Envelope.open(bytes, utf8: utf8)
        guard knownTypes.contains(type) else {
            throw ProtocolError(.unknownType, "no server message has type \(ProtocolError.quote(type))", field: "type", requestID: id)
        }
        return try Envelope.stamping(id) { () throws(ProtocolError) -> Self in
            switch type {
            case "welcome": return .welcome(try Envelope.read(object))
            case "ack": return .ack(try Envelope.read(object))
            case "error": return .error(try Envelope.read(object))
            case "faq_suggestions": return .faqSuggestions(try Envelope.read(object))
            case "queued": return .queued(try Envelope.read(object))
            case "place_in_line": return .placeInLine(try Envelope.read(object))
            case "leave_message_offered": return .leaveMessageOffered(try Envelope.read(object))
            case "message_stored": return .messageStored(try Envelope.read(object))
            case "privacy_notice": return .privacyNotice(try Envelope.read(object))
            case "offer": return .offer(try Envelope.read(object))
            case "offer_withdrawn": return .offerWithdrawn(try Envelope.read(object))
            case "assigned": return .assigned(try Envelope.read(object))
            case "left_message": return .leftMessage(try Envelope.read(object))
            case "presence": return .presence(try Envelope.read(object))
            case "typing": return .typing(try Envelope.read(object))
            case "receipt": return .receipt(try Envelope.read(object))
            case "snapshot": return .snapshot(try Envelope.read(object))
            case "history": return .history(try Envelope.read(object))
            default: return .event(try ConversationEvent.read(object, type: type))
            }
        }
    }

    public var type: String {
        switch self {
        case .welcome: "welcome"
        case .ack: "ack"
        case .error: "error"
        case .faqSuggestions: "faq_suggestions"
        case .queued: "queued"
        case .placeInLine: "place_in_line"
        case .leaveMessageOffered: "leave_message_offered"
        case .messageStored: "message_stored"
        case .privacyNotice: "privacy_notice"
        case .offer: "offer"
        case .offerWithdrawn: "offer_withdrawn"
        case .assigned: "assigned"
        case .leftMessage: "left_message"
        case .presence: "presence"
        case .typing: "typing"
        case .receipt: "receipt"
        case .snapshot: "snapshot"
        case .history: "history"
        case .event(let e): e.type
        }
    }

    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .welcome(let m): Envelope.write(type: type, m, into: &bytes)
        case .ack(let m): Envelope.write(type: type, m, into: &bytes)
        case .error(let m): Envelope.write(type: type, m, into: &bytes)
        case .faqSuggestions(let m): Envelope.write(type: type, m, into: &bytes)
        case .queued(let m): Envelope.write(type: type, m, into: &bytes)
        case .placeInLine(let m): Envelope.write(type: type, m, into: &bytes)
        case .leaveMessageOffered(let m): Envelope.write(type: type, m, into: &bytes)
        case .messageStored(let m): Envelope.write(type: type, m, into: &bytes)
        case .privacyNotice(let m): Envelope.write(type: type, m, into: &bytes)
        case .offer(let m): Envelope.write(type: type, m, into: &bytes)
        case .offerWithdrawn(let m): Envelope.write(type: type, m, into: &bytes)
        case .assigned(let m): Envelope.write(type: type, m, into: &bytes)
        case .leftMessage(let m): Envelope.write(type: type, m, into: &bytes)
        case .presence(let m): Envelope.write(type: type, m, into: &bytes)
        case .typing(let m): Envelope.write(type: type, m, into: &bytes)
        case .receipt(let m): Envelope.write(type: type, m, into: &bytes)
        case .snapshot(let m): Envelope.write(type: type, m, into: &bytes)
        case .history(let m): Envelope.write(type: type, m, into: &bytes)
        case .event(let e):
            var w = JSONWriter(appendingTo: bytes)
            bytes = []  // hand the storage to the writer (no copy)
            e.write(to: &w)
            bytes = w.bytes
        }
    }
}
