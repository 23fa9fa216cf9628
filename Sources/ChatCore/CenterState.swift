import DequeModule

/// All of the engine's state, and its rules as `mutating` methods: a value that
/// commands change and that answers with notices (the `ContactCenter` class is the
/// shell that holds it with the clock).
///
/// Each command sets `now` and `wallNow` first, then mutates, then calls `finish()`,
/// which settles routing and returns the notices. Keeping the state in one struct makes
/// every command a single exclusive access, and the rules clock-independent.
/// Owned by the `ContactCenter` that holds it, on the domain thread.
struct CenterState {
    let configuration: CenterConfiguration
    let faq: FAQIndex
    let businessHours: BusinessHours
    let maxWaiting: [Int]
    let offerTimeout: Duration?

    /// The time of the command being run.
    var now: Instant
    var wallNow: WallTime

    var agents: [Agent] = []
    var agentIDsByHandle: [String: AgentID] = [:]
    let queueIDsByKey: [String: QueueID]

    // Per line (LineID.index).
    var lines: [WaitingLine]
    var rankings: [AgentRanking]
    // Per queue.
    var waitingCount: [Int]
    var agentsOnDuty: [Int]
    var mailboxes: [Deque<ContactID>]
    var counters: [QueueCounters]
    var pendingMessages = 0

    var contacts = Slab<ContactID, Contact>()
    var conversations = Slab<ConversationID, Conversation>()
    var offers: [OfferID: Offer] = [:]
    var endedContacts = Deque<ContactID>()
    var deadlines = Deadlines()
    var hoursOpen: Bool
    var hoursDeadline: Instant?

    var nextOfferNumber: UInt64 = 1
    var nextTicket: Int64 = 1
    /// Subtracted from a ticket to put a returned contact ahead of every arrival.
    static var frontOffset: Int64 { 1 << 62 }

    // Work gathered during one command and settled by `finish()`.
    var notices: [Notice] = []
    var routableContacts: [ContactID] = []
    var agentsWithRoom: [AgentID] = []
    var agentsToRank: [AgentID] = []
    var changedLines: [Bool]
    var changedLineList: [Int] = []

    init(configuration: CenterConfiguration, now: Instant, wallNow: WallTime) throws(ChatError) {
        try configuration.validate()
        self.configuration = configuration
        self.faq = FAQIndex(entries: configuration.faqEntries, threshold: configuration.faqThreshold,
                            limit: configuration.faqSuggestionLimit)
        self.businessHours = configuration.businessHours
        self.maxWaiting = configuration.queues.map(\.maxWaiting)
        if case .offer(let timeout) = configuration.routing { offerTimeout = timeout } else { offerTimeout = nil }
        self.now = now
        self.wallNow = wallNow
        let queueCount = configuration.queues.count
        var keys: [String: QueueID] = [:]
        for (i, q) in configuration.queues.enumerated() { keys[q.key] = QueueID(Int32(i)) }
        self.queueIDsByKey = keys
        self.lines = Array(repeating: WaitingLine(), count: queueCount * 2)
        self.rankings = Array(repeating: AgentRanking(), count: queueCount * 2)
        self.changedLines = Array(repeating: false, count: queueCount * 2)
        self.waitingCount = Array(repeating: 0, count: queueCount)
        self.agentsOnDuty = Array(repeating: 0, count: queueCount)
        self.mailboxes = Array(repeating: Deque(), count: queueCount)
        self.counters = Array(repeating: QueueCounters(), count: queueCount)
        self.hoursOpen = configuration.businessHours.isOpen(at: wallNow)
        scheduleHoursChange()
    }

    var isOpen: Bool { businessHours.isAlwaysOpen || businessHours.isOpen(at: wallNow) }

    func knows(_ queue: QueueID) -> Bool { queue.rawValue >= 0 && queue.index < maxWaiting.count }

    func knows(_ agent: AgentID) -> Bool { agent.rawValue >= 0 && agent.index < agents.count }

    func placeInLine(of id: ContactID) -> Int? {
        guard let c = contacts[id], case .waiting(let line) = c.state else { return nil }
        return lines[line.index].position(of: c.orderKey).map { $0 + 1 }
    }
}

/// Running totals for one queue since start. A plain value.
public struct QueueCounters: Codable, Hashable, Sendable {
    /// Contacts resolved by an FAQ answer.
    public var deflected = 0
    /// Arrivals refused with `queue_full`.
    public var rejectedFull = 0
    /// Contacts closed out with "leave a message" (at arrival or while waiting).
    public var closedOut = 0
    /// Messages left for agents.
    public var messagesLeft = 0
}

/// A queue's live figures. A plain value.
public struct QueueStatus: Hashable, Sendable {
    public var queue: QueueID
    public var waitingChats: Int
    public var waitingCalls: Int
    /// Agents not offline who serve the queue.
    public var agentsOnDuty: Int
    public var pendingMessages: Int
    public var counters: QueueCounters
}
