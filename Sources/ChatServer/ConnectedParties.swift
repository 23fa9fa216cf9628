import ChatCore

/// Which node instance ("node@instance") each connected customer and agent is connected
/// through, as the command log says: the instance whose request connected them (an
/// arrival, a reconnect, an agent going on duty), until a request disconnects them. Fed
/// every log entry in order, so it is the same on every node at the same entry, and a
/// snapshot carries it. When an instance is lost, the lease holder logs that, and every
/// replica disconnects the parties the instance still holds at that entry (protocol/
/// cluster.md, "A node lost"). A plain value; on the domain loop.
struct ConnectedParties: Equatable {
    private(set) var customers: [ContactID: String] = [:]
    private(set) var agents: [AgentID: String] = [:]

    /// After `command`, asked by `instance`, was applied with `outcome` on `center`.
    mutating func record(_ command: CenterCommand, from instance: String, outcome: CommandOutcome,
                         center: ContactCenter<ManualClock>) {
        switch command {
        case .customerArrives:
            if case .applied(_, .contact(let contact)?) = outcome { customers[contact] = instance }
        case .customerReconnected(let contact):
            // Also when it was connected already: a claim by the node it resumed on.
            if let c = center.contact(contact), !c.isEnded { customers[contact] = instance }
        case .customerDisconnected(let contact), .customerLeaves(let contact):
            customers[contact] = nil
        case .agentReconnected(let agent):
            agents[agent] = instance
        case .setStatus(let agent, let status):
            if case .applied = outcome { agents[agent] = status == .offline ? nil : instance }
        case .agentDisconnected(let agent):
            agents[agent] = nil
        default:
            break
        }
        forgetFinished(outcome)
    }

    /// Contacts that ended hold nobody any more (their customers may stay connected
    /// and never send a disconnect).
    mutating func forgetFinished(_ outcome: CommandOutcome) {
        for notice in outcome.notices {
            if case .contactFinished(let contact) = notice { customers[contact] = nil }
        }
    }

    /// The instances that hold someone.
    var instances: Set<String> { Set(customers.values).union(agents.values) }

    /// Whether `contact` is connected through another instance than `instance`.
    func customer(_ contact: ContactID, isElsewhereThan instance: String) -> Bool {
        customers[contact].map { $0 != instance } ?? false
    }

    func agent(_ agent: AgentID, isElsewhereThan instance: String) -> Bool {
        agents[agent].map { $0 != instance } ?? false
    }

    /// Forgets what `instance` holds and returns it, in id order (so every replica
    /// disconnects them in the same order). Customers whose contact has ended are
    /// forgotten without being returned.
    mutating func takeLost(_ instance: String, center: ContactCenter<ManualClock>) -> (customers: [ContactID], agents: [AgentID]) {
        let lostCustomers = customers.filter { $0.value == instance }.keys.sorted()
        let lostAgents = agents.filter { $0.value == instance }.keys.sorted()
        for contact in lostCustomers { customers[contact] = nil }
        for agent in lostAgents { agents[agent] = nil }
        return (lostCustomers.filter { center.contact($0).map { !$0.isEnded } ?? false }, lostAgents)
    }

    /// As text for a snapshot: "c CONTACT INSTANCE" and "a AGENT INSTANCE". (Contacts
    /// that ended while connected are in it too; a loss skips them.)
    var lines: [String] {
        customers.sorted { $0.key < $1.key }.map { "c \($0.key.rawValue) \($0.value)" }
            + agents.sorted { $0.key < $1.key }.map { "a \($0.key.rawValue) \($0.value)" }
    }

    init() {}

    /// From `lines`; a line of another shape is skipped.
    init(lines: [String]) {
        for line in lines {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3 else { continue }
            let instance = String(parts[2])
            switch parts[0] {
            case "c": if let raw = UInt64(parts[1]) { customers[ContactID(raw)] = instance }
            case "a": if let raw = Int32(parts[1]) { agents[AgentID(raw)] = instance }
            default: continue
            }
        }
    }
}
