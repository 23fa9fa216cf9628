import ChatProtocol

/// Who may sign in as an agent or a supervisor, with their hashed secrets; and the
/// check itself. Read-only after start-up, so any thread may use it; the broker runs
/// `verify` on its sign-in thread because a PBKDF2 check takes a while by design.
final class StaffDirectory: Sendable {
    private struct Entry: Sendable {
        let identity: StaffIdentity
        let secret: SecretHash
    }

    private let agents: [String: Entry]
    private let supervisors: [String: Entry]
    /// Checked when the login is unknown, so that a wrong login costs as much time as
    /// a wrong secret and the answer tells nothing about which was wrong.
    private let decoy: SecretHash

    init(agents: [AgentAccount], supervisors: [SupervisorAccount]) throws(SecretHash.FormatError) {
        var a: [String: Entry] = [:]
        for account in agents {
            a[account.handle] = Entry(identity: .agent(handle: account.handle), secret: try SecretHash(parsing: account.secret))
        }
        var s: [String: Entry] = [:]
        for account in supervisors {
            s[account.login] = Entry(identity: .supervisor(login: account.login, name: account.name),
                                     secret: try SecretHash(parsing: account.secret))
        }
        self.agents = a
        self.supervisors = s
        let iterations = (a.values.map(\.secret.iterations) + s.values.map(\.secret.iterations)).max() ?? SecretHash.minimumIterations
        decoy = SecretHash(hashing: SessionToken.make(), iterations: iterations)
    }

    var isEmpty: Bool { agents.isEmpty && supervisors.isEmpty }

    /// The identity these credentials prove on `role`'s endpoint, or nil. Signed
    /// tokens are not issued yet, so a token never proves anything.
    func verify(_ credentials: StaffHello.Credentials, role: Role) -> StaffIdentity? {
        guard case .secret(let login, let secret) = credentials else {
            _ = decoy.verify("")
            return nil
        }
        let entry = role == .agent ? agents[login] : (role == .supervisor ? supervisors[login] : nil)
        guard let entry else {
            _ = decoy.verify(secret)
            return nil
        }
        return entry.secret.verify(secret) ? entry.identity : nil
    }
}
