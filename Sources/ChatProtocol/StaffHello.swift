/// `hello` on /v1/ws/agent and /v1/ws/supervisor: a login and secret, or a token.
/// A plain value.
public struct StaffHello: Hashable, Sendable, WireObject {
    /// How a member of staff proves who they are (exactly one form on the wire).
    public enum Credentials: Hashable, Sendable {
        /// The agent's or supervisor's handle and the secret from the configuration.
        case secret(login: String, secret: String)
        /// A signed token (format chosen by the server).
        case token(String)
    }

    public var id: String?
    public var credentials: Credentials

    public init(id: String? = nil, credentials: Credentials) {
        self.id = id
        self.credentials = credentials
    }

    static let requiredFields: [String] = []
    static let optionalFields = ["id", "login", "secret", "token"]

    init(reading f: FieldReader) throws(ProtocolError) {
        if f.has("token") {
            if f.has("login") || f.has("secret") {
                throw .invalid("token", "excludes 'login' and 'secret': give one or the other")
            }
        } else {
            if !f.has("login") { throw .missing("login") }
            if !f.has("secret") { throw .missing("secret") }
        }
        id = try f.optionalString("id", .identifier)
        if f.has("token") {
            credentials = .token(try f.string("token", .staffToken))
        } else {
            credentials = .secret(login: try f.string("login", .identifier), secret: try f.string("secret", .secret))
        }
    }

    func writeFields(to w: inout JSONWriter) {
        w.field("id", id)
        switch credentials {
        case .secret(let login, let secret):
            w.field("login", login)
            w.field("secret", secret)
        case .token(let token):
            w.field("token", token)
        }
    }
}

extension StaffHello.Credentials: CustomStringConvertible {
    /// Never shows the secret or the token, so credentials are safe to log.
    public var description: String {
        switch self {
        case .secret(let login, _): "login \(login)"
        case .token: "token"
        }
    }
}
