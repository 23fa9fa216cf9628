/// The close codes the chat endpoints send besides the transport's own (RFC 6455
/// §7.4.2: 4000–4999 are for applications; protocol/README.md, "Close codes").
/// The glue turns one into the transport's `CloseCode(rawValue)`. A plain value.
public enum ApplicationCloseCode: UInt16, Hashable, Sendable, CaseIterable {
    /// No `hello` first, or none within `WireProtocol.helloTimeout`.
    case notAuthenticated = 4001
    /// Wrong login, secret or token.
    case authenticationFailed = 4003
    /// `rate_limited` three times within 10 seconds.
    case rateLimited = 4008
    /// A newer connection took this session.
    case sessionReplaced = 4009
    /// A cluster node could not look the session up (its link to Redis is down): the
    /// session may well be valid; connect again shortly.
    case unavailable = 4013

    /// The close frame's reason: short ASCII, well under the 123 bytes §5.5.1 allows.
    public var reason: String {
        switch self {
        case .notAuthenticated: "not authenticated"
        case .authenticationFailed: "authentication failed"
        case .rateLimited: "rate limited"
        case .sessionReplaced: "session replaced"
        case .unavailable: "unavailable"
        }
    }

    /// Whether a client should reconnect by itself (after a delay) on this code.
    public var clientShouldReconnect: Bool { self == .rateLimited || self == .unavailable }
}
