// The supervisor's view of the whole center (protocol/README.md, `snapshot`), with
// room for the wait statistics of the wait-time work. Plain values.

/// `snapshot`: every queue and agent now.
public struct Snapshot: Hashable, Sendable, WireObject {
    public var ts: Int64
    public var open: Bool
    public var queues: [QueueSnapshot]
    public var agents: [AgentState]

    public init(ts: Int64, open: Bool, queues: [QueueSnapshot], agents: [AgentState]) {
        self.ts = ts
        self.open = open
        self.queues = queues
        self.agents = agents
    }

    static let requiredFields = ["ts", "open", "queues", "agents"]
    init(reading f: FieldReader) throws(ProtocolError) {
        ts = try f.integer("ts", cursorRange)
        open = try f.bool("open")
        queues = try f.objects("queues", count: 0...1000)
        agents = try f.objects("agents", count: 0...5000)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("ts", ts)
        w.field("open", open)
        w.field("queues", queues)
        w.field("agents", agents)
    }
}

/// One queue's live figures and counters (ChatCore `QueueStatus`), and optionally its
/// measured waits and the phone comparison.
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

/// Waits measured over some window (README, "Wait-time definitions").
public struct WaitStats: Hashable, Sendable, WireObject {
    public var count: Int64
    public var meanMs: Int64?
    public var p50Ms: Int64?
    public var p90Ms: Int64?
    public var p99Ms: Int64?
    /// Share assigned within the service-level threshold, 0...1.
    public var serviceLevel: Double?
    public var abandoned: Int64?

    public init(count: Int64, meanMs: Int64? = nil, p50Ms: Int64? = nil, p90Ms: Int64? = nil, p99Ms: Int64? = nil,
                serviceLevel: Double? = nil, abandoned: Int64? = nil) {
        self.count = count
        self.meanMs = meanMs
        self.p50Ms = p50Ms
        self.p90Ms = p90Ms
        self.p99Ms = p99Ms
        self.serviceLevel = serviceLevel
        self.abandoned = abandoned
    }

    static let requiredFields = ["count"]
    static let optionalFields = ["mean_ms", "p50_ms", "p90_ms", "p99_ms", "service_level", "abandoned"]
    init(reading f: FieldReader) throws(ProtocolError) {
        count = try f.integer("count", cursorRange)
        meanMs = try f.optionalInteger("mean_ms", cursorRange)
        p50Ms = try f.optionalInteger("p50_ms", cursorRange)
        p90Ms = try f.optionalInteger("p90_ms", cursorRange)
        p99Ms = try f.optionalInteger("p99_ms", cursorRange)
        serviceLevel = try f.optionalNumber("service_level", 0...1)
        abandoned = try f.optionalInteger("abandoned", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("count", count)
        w.field("mean_ms", meanMs)
        w.field("p50_ms", p50Ms)
        w.field("p90_ms", p90Ms)
        w.field("p99_ms", p99Ms)
        w.field("service_level", serviceLevel)
        w.field("abandoned", abandoned)
    }
}

/// What the same contacts would have waited by phone: Erlang C's prediction and the
/// shadow phone queue's replay.
public struct PhoneComparison: Hashable, Sendable, WireObject {
    public var erlangCWaitProbability: Double?
    public var erlangCMeanWaitMs: Int64?
    public var shadow: WaitStats?

    public init(erlangCWaitProbability: Double? = nil, erlangCMeanWaitMs: Int64? = nil, shadow: WaitStats? = nil) {
        self.erlangCWaitProbability = erlangCWaitProbability
        self.erlangCMeanWaitMs = erlangCMeanWaitMs
        self.shadow = shadow
    }

    static let requiredFields: [String] = []
    static let optionalFields = ["erlang_c_wait_probability", "erlang_c_mean_wait_ms", "shadow"]
    init(reading f: FieldReader) throws(ProtocolError) {
        erlangCWaitProbability = try f.optionalNumber("erlang_c_wait_probability", 0...1)
        erlangCMeanWaitMs = try f.optionalInteger("erlang_c_mean_wait_ms", cursorRange)
        shadow = try f.optionalObject("shadow")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("erlang_c_wait_probability", erlangCWaitProbability)
        w.field("erlang_c_mean_wait_ms", erlangCMeanWaitMs)
        w.field("shadow", shadow)
    }
}
