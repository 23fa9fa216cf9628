// The supervisor's view of the whole center (protocol/README.md, `snapshot`), with
// room for the wait statistics of the wait-time work. Plain values.

/// `snapshot`: every queue and agent now.
public struct Snapshot: Hashable, Sendable, WireObject {
    public var ts: Int64
    public var open: Bool
    public var queues: [QueueSnapshot]
    public var agents: [AgentState]
    /// The whole center's wait statistics, agent load and phone comparison.
    public var stats: CenterStats?

    public init(ts: Int64, open: Bool, queues: [QueueSnapshot], agents: [AgentState], stats: CenterStats? = nil) {
        self.ts = ts
        self.open = open
        self.queues = queues
        self.agents = agents
        self.stats = stats
    }

    static let requiredFields = ["ts", "open", "queues", "agents"]
    static let optionalFields = ["stats"]
    init(reading f: FieldReader) throws(ProtocolError) {
        ts = try f.integer("ts", cursorRange)
        open = try f.bool("open")
        queues = try f.objects("queues", count: 0...1000)
        agents = try f.objects("agents", count: 0...5000)
        stats = try f.optionalObject("stats")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("ts", ts)
        w.field("open", open)
        w.field("queues", queues)
        w.field("agents", agents)
        w.field("stats", stats)
    }
}

/// One queue's live figures and counters (ChatCore `QueueStatus`), the wait of its
/// oldest waiting contact, its measured waits and the phone comparison.
public struct QueueSnapshot: Hashable, Sendable, WireObject {
    public var queue: String
    public var name: String
    public var waitingChats: Int64
    public var waitingCalls: Int64
    public var agentsOnDuty: Int64
    public var pendingMessages: Int64
    public var deflected: Int64
    public var rejectedFull: Int64
    public var closedOut: Int64
    public var messagesLeft: Int64
    public var longestWaitMs: Int64?
    public var wait: WaitStats?
    public var phone: PhoneComparison?

    public init(queue: String, name: String, waitingChats: Int64, waitingCalls: Int64, agentsOnDuty: Int64,
                pendingMessages: Int64, deflected: Int64, rejectedFull: Int64, closedOut: Int64, messagesLeft: Int64,
                longestWaitMs: Int64? = nil, wait: WaitStats? = nil, phone: PhoneComparison? = nil) {
        self.queue = queue
        self.name = name
        self.waitingChats = waitingChats
        self.waitingCalls = waitingCalls
        self.agentsOnDuty = agentsOnDuty
        self.pendingMessages = pendingMessages
        self.deflected = deflected
        self.rejectedFull = rejectedFull
        self.closedOut = closedOut
        self.messagesLeft = messagesLeft
        self.longestWaitMs = longestWaitMs
        self.wait = wait
        self.phone = phone
    }

    static let requiredFields = ["queue", "name", "waiting_chats", "waiting_calls", "agents_on_duty", "pending_messages",
                                 "deflected", "rejected_full", "closed_out", "messages_left"]
    static let optionalFields = ["longest_wait_ms", "wait", "phone"]
    init(reading f: FieldReader) throws(ProtocolError) {
        queue = try f.string("queue", .identifier)
        name = try f.string("name", .displayName)
        waitingChats = try f.integer("waiting_chats", cursorRange)
        waitingCalls = try f.integer("waiting_calls", cursorRange)
        agentsOnDuty = try f.integer("agents_on_duty", cursorRange)
        pendingMessages = try f.integer("pending_messages", cursorRange)
        deflected = try f.integer("deflected", cursorRange)
        rejectedFull = try f.integer("rejected_full", cursorRange)
        closedOut = try f.integer("closed_out", cursorRange)
        messagesLeft = try f.integer("messages_left", cursorRange)
        longestWaitMs = try f.optionalInteger("longest_wait_ms", cursorRange)
        wait = try f.optionalObject("wait")
        phone = try f.optionalObject("phone")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("queue", queue)
        w.field("name", name)
        w.field("waiting_chats", waitingChats)
        w.field("waiting_calls", waitingCalls)
        w.field("agents_on_duty", agentsOnDuty)
        w.field("pending_messages", pendingMessages)
        w.field("deflected", deflected)
        w.field("rejected_full", rejectedFull)
        w.field("closed_out", closedOut)
        w.field("messages_left", messagesLeft)
        w.field("longest_wait_ms", longestWaitMs)
        w.field("wait", wait)
        w.field("phone", phone)
    }
}

