import ChatCore
import ChatProtocol

// The message budgets of sessions, accounts and addresses (MessageBudgets.swift).
// Domain thread only.

extension ServiceDesk {
    /// Whether `message` may go on: false when its sender's budget is spent (the
    /// refusal is on its way) or the connection was already refused fatally.
    func admitted(_ message: ClientMessage, on connection: ConnectionID) -> Bool {
        guard !budgets.isSilenced(connection) else { return false }
        let now = budgetClock
        if case .customer(.hello(let hello)) = message {
            // A resume during the penalty of a 4008 is refused before it binds.
            let owner = hello.session.flatMap { sessions[$0] }.map { MessageBudgets.Owner.session(token: $0.token) }
            if let wait = budgets.penalty(of: owner, on: connection, now: now) {
                refuse(MessageRate.Verdict.exceeded(retryAfterMs: wait), id: hello.id, on: connection)
                return false
            }
            return admit(nil, message.id, on: connection, now: now)
        }
        return admit(budgetOwner(of: connection), message.id, on: connection, now: now)
    }

    /// Whether a staff member just signed in on `connection` is in a 4008 penalty
    /// (refused at once when so).
    func inPenalty(_ owner: MessageBudgets.Owner, id: String?, on connection: ConnectionID) -> Bool {
        guard let wait = budgets.penalty(of: owner, on: connection, now: budgetClock) else { return false }
        refuse(MessageRate.Verdict.exceeded(retryAfterMs: wait), id: id, on: connection)
        return true
    }

    /// Monotonic nanoseconds on the domain clock.
    var budgetClock: UInt64 { UInt64(max(0, now.milliseconds)) &* 1_000_000 }

    private func admit(_ owner: MessageBudgets.Owner?, _ id: String?, on connection: ConnectionID, now: UInt64) -> Bool {
        let verdict = budgets.admit(owner, on: connection, now: now)
        guard verdict != .allowed else { return true }
        refuse(verdict, id: id, on: connection)
        return false
    }

    private func refuse(_ verdict: MessageRate.Verdict, id: String?, on connection: ConnectionID) {
        guard let (report, fatal) = verdict.report(id: id) else { return }
        metrics.countError(report.code)
        send(.error(report), to: connection)
        if fatal { delivery.close(connection, .rateLimited) }
    }

    func budgetOwner(of connection: ConnectionID) -> MessageBudgets.Owner? {
        switch bindings[connection] {
        case .customer(let session)?: .session(token: session.token)
        case .agent(let agent)?: .agent(agent)
        case .supervisor(let login)?: .supervisor(login: login)
        case nil: nil
        }
    }
}
