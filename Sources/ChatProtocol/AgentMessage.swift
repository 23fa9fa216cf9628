/// What an agent console may send on /v1/ws/agent (protocol/README.md,
/// "Agent → server"). A plain value.
public enum AgentMessage: WireMessage {
    case hello(StaffHello)
    case setStatus(SetStatus)
    case accept(OfferReply)
    case decline(OfferReply)
    case send(AgentSend)
    case typing(AgentTyping)
    case receipt(AgentReceipt)
    case transfer(TransferRequest)
    case end(AgentEnd)
    case fetchHistory(FetchHistory)

    static let types = ["hello", "set_status", "accept", "decline", "send", "typing", "receipt", "transfer", "end",
                        "fetch_history"]

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> AgentMessage {
        try decode(bytes, utf8: .unchecked)
    }

    /// Decodes bytes whose UTF-8 `utf8` says was checked already (or not).
    public static func decode(_ bytes: UnsafeRawBufferPointer, utf8: UTF8Assurance) throws(ProtocolError) -> AgentMessage {
        let (object, type, id) = try Envelope.open(bytes, utf8: utf8)
        try ClientMessage.check(type: type, role: .agent, id: id)
        return try Envelope.stamping(id) { () throws(ProtocolError) -> Self in
            switch type {
            case "hello": return .hello(try Envelope.read(object))
            case "set_status": return .setStatus(try Envelope.read(object))
            case "accept": return .accept(try Envelope.read(object))
            case "decline": return .decline(try Envelope.read(object))
            case "send": return .send(try Envelope.read(object))
            case "typing": return .typing(try Envelope.read(object))
            case "receipt": return .receipt(try Envelope.read(object))
            case "transfer": return .transfer(try Envelope.read(object))
            case "end": return .end(try Envelope.read(object))
            case "fetch_history": return .fetchHistory(try Envelope.read(object))
            default: throw ProtocolError(.unknownType, "no agent message has type '\(type)'", field: "type")
            }
        }
    }

    public var type: String {
        switch self {
        case .hello: "hello"
        case .setStatus: "set_status"
        case .accept: "accept"
        case .decline: "decline"
        case .send: "send"
        case .typing: "typing"
        case .receipt: "receipt"
        case .transfer: "transfer"
        case .end: "end"
        case .fetchHistory: "fetch_history"
        }
    }

    /// The request id (for `send`, the client message id).
    public var id: String? {
        switch self {
        case .hello(let m): m.id
        case .setStatus(let m): m.id
        case .accept(let m), .decline(let m): m.id
        case .send(let m): m.id
        case .typing(let m): m.id
        case .receipt(let m): m.id
        case .transfer(let m): m.id
        case .end(let m): m.id
        case .fetchHistory(let m): m.id
        }
    }

    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .hello(let m): Envelope.write(type: type, m, into: &bytes)
        case .setStatus(let m): Envelope.write(type: type, m, into: &bytes)
        case .accept(let m), .decline(let m): Envelope.write(type: type, m, into: &bytes)
        case .send(let m): Envelope.write(type: type, m, into: &bytes)
        case .typing(let m): Envelope.write(type: type, m, into: &bytes)
        case .receipt(let m): Envelope.write(type: type, m, into: &bytes)
        case .transfer(let m): Envelope.write(type: type, m, into: &bytes)
        case .end(let m): Envelope.write(type: type, m, into: &bytes)
        case .fetchHistory(let m): Envelope.write(type: type, m, into: &bytes)
        }
    }
}
