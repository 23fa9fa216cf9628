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
    /// What every check costs: the rounds of the slowest configured hash. A wrong login
    /// or secret, and a right one, all take that long, so the time of an answer tells
    /// neither which part was wrong nor which accounts have cheaper hashes.
    let iterations: Int
    /// Hashed for a login that is unknown, so that it costs what a known one does.
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
        iterations = (a.values.map(\.secret.iterations) + s.values.map(\.secret.iterations)).max() ?? SecretHash.minimumIterations
        decoy = SecretHash(hashing: SessionToken.make(), iterations: iterations)
    }

    var isEmpty: Bool { agents.isEmpty && supervisors.isEmpty }

    /// The identity these credentials prove on `role`'s endpoint, or nil. Signed
    /// tokens are not issued yet, so a token never proves anything. One hash, costing
    /// `iterations` rounds whatever the outcome.
    func verify(_ credentials: StaffHello.Credentials, role: Role) -> StaffIdentity? {
        guard case .secret(let login, let secret) = credentials else {
            _ = decoy.verify("")
            return nil
        }
        return check(role == .agent ? agents[login] : (role == .supervisor ? supervisors[login] : nil), secret)
    }

    /// HTTP Basic on the transcript read-back, where any staff member may sign in: the
    /// agent with that handle, else the supervisor with that login. One hash, like
    /// `verify` (a login that is both reads with the agent's secret).
    func verifyStaff(login: String, secret: String) -> StaffIdentity? {
        check(agents[login] ?? supervisors[login], secret)
    }

    private func check(_ entry: Entry?, _ secret: String) -> StaffIdentity? {
        guard let entry else {
            _ = decoy.verify(secret)
            return nil
        }
        return entry.secret.verify(secret, costing: iterations) ? entry.identity : nil
    }
}
