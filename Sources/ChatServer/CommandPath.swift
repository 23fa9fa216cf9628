import ChatCore

/// How the desk changes the centre: every routing command (a customer arrives, an agent
/// accepts an offer, the timers fire, …) goes down a command path, and what it gave comes
/// back to the continuation. The desk reads the centre directly; it never changes it
/// any other way.
///
/// On one node the path runs the command on the engine at once, and the continuation
/// runs before `submit` returns. In a cluster (protocol/cluster.md, "The design ahead")
/// the command goes through the replicated log first: the continuation then runs later,
/// after other commands may have changed the centre, so a continuation checks again
/// what it relies on. Domain thread only.
protocol CommandPath: AnyObject {
    func submit(_ command: CenterCommand, _ then: @escaping (CommandOutcome) -> Void)
    /// Whether this node asks for the centre's timers (`fireDueTimers`) when they are
    /// due: always on one node; in a cluster only the lease holder does.
    var firesTimers: Bool { get }
    /// Whether the log has `contact` (or `agent`) connected through another node's
    /// process: one that resumes here then claims it with a reconnect, so that losing
    /// that process does not disconnect it (ConnectedParties). Never on one node.
    func customerIsElsewhere(_ contact: ContactID) -> Bool
    func agentIsElsewhere(_ agent: AgentID) -> Bool
    /// In a cluster, the number of the log entry whose outcome is being told, the same
    /// on every node: the events its decisions make are named after it, so that any
    /// node can write one its asker did not (ServiceDesk+DecisionEvents.swift). Nil on
    /// one node and between entries.
    var applyingEntry: Int64? { get }
}

/// One node's path: the command runs on this process's engine, now. Domain thread only.
final class LocalCommandPath: CommandPath {
    let engine: any ContactEngine

    init(engine: any ContactEngine) {
        self.engine = engine
    }

    func submit(_ command: CenterCommand, _ then: @escaping (CommandOutcome) -> Void) {
        then(engine.apply(command))
    }

    var firesTimers: Bool { true }

    func customerIsElsewhere(_ contact: ContactID) -> Bool { false }

    func agentIsElsewhere(_ agent: AgentID) -> Bool { false }

    var applyingEntry: Int64? { nil }
}

/// The engine's own clock as the desk's: one node, one timeline. Domain thread only.
struct EngineTime: Clock {
    let engine: any ContactEngine
    var now: Instant { engine.now }
    var wallNow: WallTime { engine.wallNow }
}
