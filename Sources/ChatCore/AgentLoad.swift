/// The agents' load at one instant: how much of the capacity of the agents on duty is
/// in use, and how many chats the agents holding chats hold. A plain value.
public struct AgentLoadSample: Codable, Hashable, Sendable {
    /// Agents not offline.
    public var onDuty = 0
    /// Sum over agents on duty of their busy share: 1 with a call (held or offered),
    /// otherwise chats (held or offered) / chat capacity.
    public var busy = 0.0
    /// Agents on duty holding at least one chat.
    public var agentsWithChats = 0
    /// Chats those agents hold.
    public var chats = 0

    public init(onDuty: Int = 0, busy: Double = 0, agentsWithChats: Int = 0, chats: Int = 0) {
        self.onDuty = onDuty
        self.busy = busy
        self.agentsWithChats = agentsWithChats
        self.chats = chats
    }

    /// Reads every agent once. O(agents).
    public init(_ agents: [Agent]) {
        for agent in agents { add(AgentLoadSample(agent)) }
    }

    /// One agent's part.
    public init(_ agent: Agent) {
        guard agent.isOnDuty else { return }
        onDuty = 1
        if agent.heldCalls > 0 {
            busy = 1
        } else if agent.heldChats > 0 {
            busy = agent.capacity.chat > 0 ? min(1, Double(agent.heldChats) / Double(agent.capacity.chat)) : 1
            agentsWithChats = 1
            chats = agent.heldChats
        }
    }

    mutating func add(_ other: AgentLoadSample) {
        onDuty += other.onDuty
        busy += other.busy
        agentsWithChats += other.agentsWithChats
        chats += other.chats
    }

    mutating func subtract(_ other: AgentLoadSample) {
        onDuty -= other.onDuty
        busy = max(0, busy - other.busy)
        agentsWithChats -= other.agentsWithChats
        chats -= other.chats
    }

    /// Busy capacity over capacity on duty (nil with nobody on duty).
    public var occupancy: Double? { onDuty > 0 ? busy / Double(onDuty) : nil }

    /// Chats per agent holding chats (nil when nobody holds one).
    public var concurrency: Double? { agentsWithChats > 0 ? Double(chats) / Double(agentsWithChats) : nil }
}

/// Agent load integrated over time (agent-milliseconds), so that occupancy and
/// concurrency are time-weighted averages. A plain value.
public struct AgentLoadIntegral: Codable, Hashable, Sendable {
    public var onDutyMs = 0.0
    public var busyMs = 0.0
    public var chattingMs = 0.0
    public var chatsMs = 0.0

    public init() {}

    mutating func add(_ sample: AgentLoadSample, forMs ms: Double) {
        onDutyMs += Double(sample.onDuty) * ms
        busyMs += sample.busy * ms
        chattingMs += Double(sample.agentsWithChats) * ms
        chatsMs += Double(sample.chats) * ms
    }

    mutating func add(_ other: AgentLoadIntegral) {
        onDutyMs += other.onDutyMs
        busyMs += other.busyMs
        chattingMs += other.chattingMs
        chatsMs += other.chatsMs
    }

    /// Time-weighted occupancy (nil when nobody was on duty).
    public var occupancy: Double? { onDutyMs > 0 ? busyMs / onDutyMs : nil }

    /// Time-weighted chats per agent holding chats (nil when nobody held one).
    public var concurrency: Double? { chattingMs > 0 ? chatsMs / chattingMs : nil }
}
