import DequeModule

/// The centre's whole changing state at one point of its command log: what a cluster
/// node restores instead of replaying the log from its start, so that the log can be
/// trimmed (protocol/cluster.md, "Snapshots").
///
/// It holds everything a later decision could read, and nothing the configuration
/// gives: a snapshot is restored into a centre made from the same configuration (its
/// queue keys are checked). Restored, a replica takes every later decision exactly as
/// one that applied the whole log (the replica tests compare `canonicalState`).
/// Encoded with any `Encoder` (the cluster uses JSON). A plain value.
public struct CenterSnapshot: Codable {
    /// The configuration's queue keys, in order: a snapshot from a differently
    /// configured centre is refused.
    public var queueKeys: [String]
    var now: Instant
    var wallNow: WallTime
    var agents: [Agent]
    var agentIDsByHandle: [String: AgentID]
    var lines: [WaitingLine]
    var rankings: [AgentRanking]
    var waitingCount: [Int]
    var agentsOnDuty: [Int]
    var mailboxes: [Deque<ContactID>]
    var counters: [QueueCounters]
    var pendingMessages: Int
    var contacts: Slab<ContactID, Contact>
    var conversations: Slab<ConversationID, Conversation>
    var offers: [Offer]
    var endedContacts: Deque<ContactID>
    var deadlines: Deadlines
    var hoursOpen: Bool
    var hoursDeadline: Instant?
    var nextOfferNumber: UInt64
    var nextTicket: Int64

    /// The time of the last command applied.
    public var at: Instant { now }
    public var wallAt: WallTime { wallNow }
}

extension CenterState {
    func snapshot() -> CenterSnapshot {
        CenterSnapshot(queueKeys: configuration.queues.map(\.key), now: now, wallNow: wallNow, agents: agents,
                       agentIDsByHandle: agentIDsByHandle, lines: lines, rankings: rankings, waitingCount: waitingCount,
                       agentsOnDuty: agentsOnDuty, mailboxes: mailboxes, counters: counters, pendingMessages: pendingMessages,
                       contacts: contacts, conversations: conversations,
                       offers: offers.values.sorted { $0.id < $1.id }, endedContacts: endedContacts, deadlines: deadlines,
                       hoursOpen: hoursOpen, hoursDeadline: hoursDeadline, nextOfferNumber: nextOfferNumber,
                       nextTicket: nextTicket)
    }

    /// Takes `snapshot`'s state; throws `invalid_configuration` when it was taken from
    /// a centre with other queues (then nothing changes).
    mutating func restore(_ s: CenterSnapshot) throws(ChatError) {
        let count = configuration.queues.count
        guard s.queueKeys == configuration.queues.map(\.key), s.lines.count == count * 2, s.rankings.count == count * 2,
              s.waitingCount.count == count, s.agentsOnDuty.count == count, s.mailboxes.count == count,
              s.counters.count == count else {
            throw .invalidConfiguration("the snapshot's queues (\(s.queueKeys.joined(separator: ", "))) are not this centre's")
        }
        now = s.now
        wallNow = s.wallNow
        agents = s.agents
        agentIDsByHandle = s.agentIDsByHandle
        lines = s.lines
        rankings = s.rankings
        waitingCount = s.waitingCount
        agentsOnDuty = s.agentsOnDuty
        mailboxes = s.mailboxes
        counters = s.counters
        pendingMessages = s.pendingMessages
        contacts = s.contacts
        conversations = s.conversations
        offers = Dictionary(uniqueKeysWithValues: s.offers.map { ($0.id, $0) })
        endedContacts = s.endedContacts
        deadlines = s.deadlines
        hoursOpen = s.hoursOpen
        hoursDeadline = s.hoursDeadline
        nextOfferNumber = s.nextOfferNumber
        nextTicket = s.nextTicket
    }
}

// Ids and instants are single numbers in a snapshot (not objects of one field).

extension AgentID: Codable {
    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(Int32.self)) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

extension QueueID: Codable {
    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(Int32.self)) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

extension ContactID: Codable {
    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(UInt64.self)) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

extension ConversationID: Codable {
    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(UInt64.self)) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

extension OfferID: Codable {
    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(UInt64.self)) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

extension Instant: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(milliseconds: try decoder.singleValueContainer().decode(Int64.self))
    }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(milliseconds) }
}

extension WallTime: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(millisecondsSince1970: try decoder.singleValueContainer().decode(Int64.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(millisecondsSince1970)
    }
}

extension ContactCenter {
    /// The state now, for a snapshot. O(state).
    public func snapshot() -> CenterSnapshot { state.snapshot() }
}

extension CenterReplica {
    /// Restores the state of a replica that had applied `applied` entries when it took
    /// `snapshot`: this replica then continues from the entry after those. Only a
    /// replica that has applied no entry itself may restore (it may have restored
    /// before: a later snapshot replaces an earlier one). Throws `invalid_configuration`
    /// when the snapshot is of other queues or older than this replica's time.
    public func restore(_ snapshot: CenterSnapshot, applied: Int) throws(ChatError) {
        precondition(appliedCount == restoredCount, "restore replaces a replica's start, not its history")
        guard snapshot.now >= now else { throw .invalidConfiguration("the snapshot is older than the replica's start") }
        try engine.state.restore(snapshot)
        clock.advance(by: .milliseconds(snapshot.now.milliseconds - now.milliseconds))
        clock.setWall(snapshot.wallNow)
        appliedCount = applied
        restoredCount = applied
    }
}
