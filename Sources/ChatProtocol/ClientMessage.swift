/// A message from a client of any role, for code that handles every endpoint in one
/// place. The endpoint fixes the role, and with it what may be sent: a type of
/// another role is `forbidden`, a type of none `unknown_type`. A plain value.
public enum ClientMessage: Hashable, Sendable {
    case customer(CustomerMessage)
    case agent(AgentMessage)
    case supervisor(SupervisorMessage)

    /// Decodes a message that arrived on `role`'s endpoint; `.validated` when the
    /// WebSocket layer has checked its UTF-8 already, so it is not checked twice.
    public static func decode(_ bytes: UnsafeRawBufferPointer, from role: Role,
                              utf8: UTF8Assurance = .unchecked) throws(ProtocolError) -> ClientMessage {
        switch role {
        case .customer: .customer(try CustomerMessage.decode(bytes, utf8: utf8))
        case .agent: .agent(try AgentMessage.decode(bytes, utf8: utf8))
        case .supervisor: .supervisor(try SupervisorMessage.decode(bytes, utf8: utf8))
        }
    }

    public static func decode(_ bytes: [UInt8], from role: Role) throws(ProtocolError) -> ClientMessage {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) -> ClientMessage in try decode(raw, from: role) }
        }
        return try result.get()
    }

    public var role: Role {
        switch self {
        case .customer: .customer
        case .agent: .agent
        case .supervisor: .supervisor
        }
    }

    /// The request id, echoed in the `ack` or `error` that answers it.
    public var id: String? {
        switch self {
        case .customer(let m): m.id
        case .agent(let m): m.id
        case .supervisor(let m): m.id
        }
    }

    public var type: String {
        switch self {
        case .customer(let m): m.type
        case .agent(let m): m.type
        case .supervisor(let m): m.type
        }
    }

    public func encoded() -> [UInt8] {
        switch self {
        case .customer(let m): m.encoded()
        case .agent(let m): m.encoded()
        case .supervisor(let m): m.encoded()
        }
    }

    /// Every client message type and the roles that may send it.
    static let rolesByType: [String: Set<Role>] = {
        var table: [String: Set<Role>] = [:]
        for t in CustomerMessage.types { table[t, default: []].insert(.customer) }
        for t in AgentMessage.types { table[t, default: []].insert(.agent) }
        for t in SupervisorMessage.types { table[t, default: []].insert(.supervisor) }
        return table
    }()

    /// Throws `unknown_type` or `forbidden` unless `role` may send `type`.
    static func check(type: String, role: Role, id: String?) throws(ProtocolError) {
        guard let roles = rolesByType[type] else {
            throw ProtocolError(.unknownType, "no message has type \(ProtocolError.quote(type))", field: "type", requestID: id)
        }
        guard roles.contains(role) else {
            throw ProtocolError(.forbidden, "a \(role.rawValue) may not send '\(type)'", field: "type", requestID: id)
        }
    }
}
