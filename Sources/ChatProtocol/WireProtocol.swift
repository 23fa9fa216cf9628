/// The protocol's name, endpoints and version rules (protocol/README.md, "Roles and
/// endpoints" and "Versioning"). Constants only.
public enum WireProtocol {
    /// The WebSocket subprotocol (RFC 6455 §1.9, §4.2.2): an upgrade that does not
    /// offer it is refused with 400 before any chat message is read.
    public static let subprotocol = "switchboard.v1"

    /// How long a connection may stay without `hello` before it is closed with 4001.
    public static let helloTimeout: Duration = .seconds(10)
}

/// Who is on the other end of a connection, fixed by the endpoint it upgraded on.
/// What they may send is `CustomerMessage`, `AgentMessage` or `SupervisorMessage`.
public enum Role: String, Hashable, Sendable, CaseIterable {
    case customer
    case agent
    case supervisor

    /// The upgrade path of this role's endpoint.
    public var path: String { "/v1/ws/\(rawValue)" }

    /// The role whose endpoint is `path` (exact match, no query string).
    public init?(path: some StringProtocol) {
        guard let role = Role.allCases.first(where: { $0.path == path }) else { return nil }
        self = role
    }
}
