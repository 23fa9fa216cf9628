/// What a supervisor dashboard may send on /v1/ws/supervisor (protocol/README.md,
/// "Supervisor → server"). A plain value.
public enum SupervisorMessage: WireMessage {
    case hello(StaffHello)
    case getSnapshot(BareRequest)
    case fetchHistory(FetchHistory)

    static let types = ["hello", "get_snapshot", "fetch_history"]

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> SupervisorMessage {
        try decode(bytes, utf8: .unchecked)
    }

    /// Decodes bytes whose UTF-8 `utf8` says was checked already (or not).
    public static func decode(_ bytes: UnsafeRawBufferPointer, utf8: UTF8Assurance) throws(ProtocolError) -> SupervisorMessage {
        let (object, type, id) = try Envelope.open(bytes, utf8: utf8)
        try ClientMessage.check(type: type, role: .supervisor, id: id)
        return try Envelope.stamping(id) { () throws(ProtocolError) -> Self in
            switch type {
            case "hello": return .hello(try Envelope.read(object))
            case "get_snapshot": return .getSnapshot(try Envelope.read(object))
            case "fetch_history": return .fetchHistory(try Envelope.read(object))
            default: throw ProtocolError(.unknownType, "no supervisor message has type '\(type)'", field: "type")
            }
        }
    }

    public var type: String {
        switch self {
        case .hello: "hello"
        case .getSnapshot: "get_snapshot"
        case .fetchHistory: "fetch_history"
        }
    }

    public var id: String? {
        switch self {
        case .hello(let m): m.id
        case .getSnapshot(let m): m.id
        case .fetchHistory(let m): m.id
        }
    }

    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .hello(let m): Envelope.write(type: type, m, into: &bytes)
        case .getSnapshot(let m): Envelope.write(type: type, m, into: &bytes)
        case .fetchHistory(let m): Envelope.write(type: type, m, into: &bytes)
        }
    }
}
