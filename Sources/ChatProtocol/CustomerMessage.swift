/// What a customer widget may send on /v1/ws/customer (protocol/README.md,
/// "Customer → server"). A plain value.
public enum CustomerMessage: WireMessage {
    case hello(CustomerHello)
    case startChat(StartChat)
    case faqResolved(FAQResolved)
    case faqContinue(BareRequest)
    case leaveMessage(LeaveMessage)
    case send(CustomerSend)
    case typing(CustomerTyping)
    case receipt(CustomerReceipt)
    case end(BareRequest)
    case rate(Rate)
    case fetchHistory(CustomerFetchHistory)

    static let types = ["hello", "start_chat", "faq_resolved", "faq_continue", "leave_message", "send", "typing",
                        "receipt", "end", "rate", "fetch_history"]

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> CustomerMessage {
        try decode(bytes, utf8: .unchecked)
    }

    /// Decodes bytes whose UTF-8 `utf8` says was checked already (or not).
    public static func decode(_ bytes: UnsafeRawBufferPointer, utf8: UTF8Assurance) throws(ProtocolError) -> CustomerMessage {
        let (object, type, id) = try Envelope.open(bytes, utf8: utf8)
        try ClientMessage.check(type: type, role: .customer, id: id)
        return try Envelope.stamping(id) { () throws(ProtocolError) -> Self in
            switch type {
            case "hello": return .hello(try Envelope.read(object))
            case "start_chat": return .startChat(try Envelope.read(object))
            case "faq_resolved": return .faqResolved(try Envelope.read(object))
            case "faq_continue": return .faqContinue(try Envelope.read(object))
            case "leave_message": return .leaveMessage(try Envelope.read(object))
            case "send": return .send(try Envelope.read(object))
            case "typing": return .typing(try Envelope.read(object))
            case "receipt": return .receipt(try Envelope.read(object))
            case "end": return .end(try Envelope.read(object))
            case "rate": return .rate(try Envelope.read(object))
            case "fetch_history": return .fetchHistory(try Envelope.read(object))
            default: throw ProtocolError(.unknownType, "no customer message has type '\(type)'", field: "type")
            }
        }
    }

    public var type: String {
        switch self {
        case .hello: "hello"
        case .startChat: "start_chat"
        case .faqResolved: "faq_resolved"
        case .faqContinue: "faq_continue"
        case .leaveMessage: "leave_message"
        case .send: "send"
        case .typing: "typing"
        case .receipt: "receipt"
        case .end: "end"
        case .rate: "rate"
        case .fetchHistory: "fetch_history"
        }
    }

    /// The request id (for `send`, the client message id).
    public var id: String? {
        switch self {
        case .hello(let m): m.id
        case .startChat(let m): m.id
        case .faqResolved(let m): m.id
        case .faqContinue(let m): m.id
        case .leaveMessage(let m): m.id
        case .send(let m): m.id
        case .typing(let m): m.id
        case .receipt(let m): m.id
        case .end(let m): m.id
        case .rate(let m): m.id
        case .fetchHistory(let m): m.id
        }
    }

    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .hello(let m): Envelope.write(type: type, m, into: &bytes)
        case .startChat(let m): Envelope.write(type: type, m, into: &bytes)
        case .faqResolved(let m): Envelope.write(type: type, m, into: &bytes)
        case .faqContinue(let m): Envelope.write(type: type, m, into: &bytes)
        case .leaveMessage(let m): Envelope.write(type: type, m, into: &bytes)
        case .send(let m): Envelope.write(type: type, m, into: &bytes)
        case .typing(let m): Envelope.write(type: type, m, into: &bytes)
        case .receipt(let m): Envelope.write(type: type, m, into: &bytes)
        case .end(let m): Envelope.write(type: type, m, into: &bytes)
        case .rate(let m): Envelope.write(type: type, m, into: &bytes)
        case .fetchHistory(let m): Envelope.write(type: type, m, into: &bytes)
        }
    }
}
