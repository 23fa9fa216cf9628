import ChatCore
import ChatProtocol

// Changing the centre: through the desk's command path only (CommandPath.swift).
// Domain thread only.

extension ServiceDesk {
    /// Runs `command` on the centre; `then` gets what it gave (at once on one node).
    func perform(_ command: CenterCommand, then: @escaping (CommandOutcome) -> Void = { _ in }) {
        commands.submit(command, then)
    }

    /// Runs `command` and tells the centre's decisions to whom they concern; for the
    /// desk's own doings (timers, a dropped connection), where nobody awaits an answer.
    func performAndApply(_ command: CenterCommand) {
        perform(command) { [self] outcome in apply(outcome.notices) }
    }

    /// A client's request that is one command: refused, the client gets the error (with
    /// the field `field` names); carried out, `then` runs first (the desk's own
    /// bookkeeping), then the ack, then the decisions are told.
    func request(_ command: CenterCommand, id: String?, on connection: ConnectionID,
                 field: @escaping (ChatError) -> String? = { _ in nil },
                 then: @escaping (_ created: CreatedRecord?) -> Void = { _ in }) {
        perform(command) { [self] outcome in
            switch outcome {
            case .refused(let error):
                fail(connection, id: id, error, field: field(error))
            case .applied(let notices, let created):
                then(created)
                ack(id, on: connection)
                apply(notices)
            }
        }
    }
}
