import ChatCore
import ChatProtocol
import ChatStorage
import DequeModule
import EventLoop
import Posix
import Privacy

/// The broker's domain side: the one object that owns the contact engine, the
/// customer sessions, which connection belongs to whom, the transcripts with their
/// sequence numbers, client-message-id deduplication, receipts and the typing relay.
///
/// Threading (protocol/threading.md): it lives on the domain thread, a dedicated
/// `EventLoop` of its own, and nothing else ever touches it. I/O loops decode client
/// messages and hand them over as `Inbound` values with `execute`; the desk answers
/// with encoded bytes through its `Delivery` (the broker's is the `Outbox`, which hands
/// each I/O loop one batch per domain-loop iteration). A ticker drives `tick()` every
/// quarter second: the engine's timers (`fireDueTimers` at `nextDeadline`), the wait
/// statistics with places in line and estimated waits, supervisor snapshots, session
/// expiry and the published gauges.
///
/// Its seams: the engine (`ContactEngine`), the transcripts (`TranscriptStore`) and
/// the delivery (`Delivery`) are protocols, and time is the engine's injected clock,
/// so a test drives the desk with a `ManualClock` and a recording delivery, no
/// sockets and no threads.
final class ServiceDesk {
    /// The centre, for reading; it changes only through `commands` (`perform`).
    let center: any ContactEngine
    let commands: any CommandPath
    /// The desk's "now", on the centre's timeline. One node: the engine's own clock. A
    /// cluster: the log's timeline (Redis's clock) running on between entries, since the
    /// replica's clock stands still at the last entry's time (ClusterClock.swift).
    let clock: any Clock
    let delivery: any Delivery
    let metrics: BrokerMetrics
    let limits: BrokerLimits
    let transcripts: any TranscriptStore
    /// A cluster node's relay of conversation events between nodes (nil on one node):
    /// events go through it, not straight to the store (ServiceDesk+Relay.swift).
    var relay: ConversationRelay?
    /// Agents' messages held while the conversation's first reply is on its way through
    /// the log (a cluster), so that they are written after it, in the order sent.
    var heldReplies: [ConversationID: [() -> Void]] = [:]
    /// A cluster: the log entry whose decisions' events are being named, how many each
    /// conversation got so far, and the events to check for (ServiceDesk+DecisionEvents.swift).
    var decisionEntry: Int64 = 0
    var decisionCounts: [ConversationID: Int] = [:]
    var decisionChecks: Deque<DecisionEvent> = []
    /// Decision events this node found missing and wrote (for /v1/cluster and the tests).
    var decisionEventsWritten: UInt64 = 0
    /// A cluster's shared customer sessions (nil on one node), and the connections whose
    /// `hello` names a session being looked up there.
    var sharedSessions: SharedSessions?
    var lookingUp: Set<ConnectionID> = []
    /// Parties connected here being reconnected in the centre (a cluster; ServiceDesk+Relay.swift).
    var reclaiming: Set<ReclaimedParty> = []
    /// Sessions found in Redis whose contact this node's replica does not know yet (it
    /// is behind the log, just started say): tried again each tick until `until`.
    var awaitingContacts: [(hello: CustomerHello, token: String, record: SharedSessions.Record, connection: ConnectionID, until: Instant)] = []
    /// Wall-clock milliseconds minus monotonic milliseconds, fixed at start: every `ts`
    /// is an `Instant` moved onto the calendar, so timestamps never go backwards even
    /// when the host's clock is stepped.
    let wallOffset: Int64

    var sessions: [String: CustomerSession] = [:]
    /// The session each live contact belongs to (chat contacts and left messages).
    var contactOwners: [ContactID: CustomerSession] = [:]
    var bindings: [ConnectionID: Binding] = [:]
    var agentConnections: [AgentID: ConnectionID] = [:]
    var supervisors: [ConnectionID: String] = [:]
    var receipts: [ConversationID: ReceiptMarks] = [:]
    /// `reply_to` of left messages, until they are handed to an agent.
    var replyTo: [ContactID: String] = [:]
    /// The record of each left message not yet handed to an agent.
    var leftMessageKeys: [ContactID: TranscriptKey] = [:]
    /// Left messages recorded in this run: the N of the next one's `m-BOOT-N`.
    var leftMessagesRecorded: UInt64 = 0
    /// When a message restored at start was left (its contact is new in this run).
    var leftAt: [ContactID: Int64] = [:]
    /// Disconnected sessions in the order their grace periods end.
    var expiring = FIFO<(token: String, at: Instant)>()
    /// Ended conversations, oldest first, whose transcripts are still in memory.
    var endedConversations = FIFO<ConversationID>()
    /// The wait statistics (fed in `apply`, refreshed by the tick) and what was last published.
    var stats: WaitStatistics
    var published: PublishedStats?
    var lastStatisticsAt = Instant(milliseconds: .min)
    /// Chat (even index) and call (odd) places of agents on duty, per line: the estimator's fallback.
    var slotsPerLine: [Int]
    /// Per line index, the patience outlook the estimates use and when it was made
    /// (remade at most once a second: the Kaplan–Meier curve sorts every distinct wait).
    var patienceOutlooks: [Int: (madeAtMs: Int64, outlook: PatienceOutlook)] = [:]
    var snapshotDirty = true
    /// A `fireDueTimers` is on its way (a cluster's log); not asked again meanwhile.
    var timersAsked = false
    var lastSnapshotPush = Instant(milliseconds: .min)
    /// `[console] canned_replies`, for agents' `welcome`.
    var cannedReplies: [String] = []
    /// Message budgets per session, account and address: they outlive connections.
    var budgets: MessageBudgets
    /// Masks personal numbers in client text (`[privacy]`).
    let masker: PersonalDataMasker

    /// Adds the configuration's agents (all offline) to `engine`, which must have none yet.
    /// Throws the engine's configuration errors (`unknown_queue`, …).
    init(configuration: BrokerConfiguration, engine: any ContactEngine, commands: (any CommandPath)? = nil, clock: (any Clock)? = nil,
         delivery: any Delivery, metrics: BrokerMetrics, transcripts: any TranscriptStore) throws(ChatError) {
        center = engine
        self.commands = commands ?? LocalCommandPath(engine: engine)
        self.clock = clock ?? EngineTime(engine: engine)
        // The configured agents are the centre's starting state, not commands: every node
        // of a cluster starts from the same configuration, so from the same agents.
        for account in configuration.agents {
            var skills: [QueueID] = []
            for key in account.skills {
                guard let queue = center.queueID(forKey: key) else { throw .unknownQueue }
                skills.append(queue)
            }
            _ = try center.addAgent(ChatCore.AgentProfile(handle: account.handle, displayName: account.name,
                                                          skills: skills, capacity: account.capacity))
        }
        stats = WaitStatistics(configuration: configuration.statistics, center: center)
        slotsPerLine = Array(repeating: 0, count: center.queues.count * 2)
        self.delivery = delivery
        self.metrics = metrics
        self.limits = configuration.limits
        budgets = MessageBudgets(limits: configuration.limits)
        self.transcripts = transcripts
        cannedReplies = configuration.cannedReplies
        masker = PersonalDataMasker(kinds: configuration.maskedKinds)
        wallOffset = self.clock.wallNow.millisecondsSince1970 - self.clock.now.milliseconds
        // Left messages are records of this node's store; in a cluster they are not yet
        // shared, so a node does not put them back into the common centre (cluster.md).
        if self.commands is LocalCommandPath { restoreLeftMessages() }
    }

    /// A desk with the process's own engine (`ContactCenter`) on `clock`. Throws the
    /// center's configuration errors (`invalid_configuration`, …).
    convenience init(configuration: BrokerConfiguration, clock: some Clock = SystemClock(), delivery: any Delivery,
                     metrics: BrokerMetrics, transcripts: any TranscriptStore = MemoryTranscripts()) throws(ChatError) {
        try self.init(configuration: configuration, engine: try ContactCenter(configuration: configuration.center, clock: clock),
                      delivery: delivery, metrics: metrics, transcripts: transcripts)
    }

    // MARK: Input

    func receive(_ batch: [Inbound]) {
        for item in batch {
            switch item {
            case .arrived(let connection, let address):
                budgets.arrived(connection, address: address)
            case .message(let connection, let message):
                guard admitted(message, on: connection) else { continue }
                switch message {
                case .customer(let m): customer(m, on: connection)
                case .agent(let m): agent(m, on: connection)
                case .supervisor(let m): supervisor(m, on: connection)
                }
            case .refused(let connection, let report, let close):
                guard !budgets.isSilenced(connection) else { continue }
                if close == .rateLimited, let owner = budgetOwner(of: connection) {
                    budgets.punish(owner, now: budgetClock)
                }
                metrics.countError(report.code)
                send(.error(report), to: connection)
                if let close { delivery.close(connection, close) }
            case .staffHello(let connection, let role, let id, let identity):
                staffHello(on: connection, role: role, requestID: id, identity: identity)
            case .closed(let connection):
                closed(connection)
            }
        }
    }

    private func closed(_ connection: ConnectionID) {
        budgets.closed(connection)
        lookingUp.remove(connection)
        guard let binding = bindings.removeValue(forKey: connection) else { return }
        switch binding {
        case .customer(let session):
            guard session.connection == connection else { return }
            session.connection = nil
            session.disconnectedAt = now
            expiring.append((session.token, now.advanced(by: center.configuration.customerGracePeriod)))
            if let contact = session.contact, let c = center.contact(contact), !c.isEnded {
                performAndApply(.customerDisconnected(contact))
            }
        case .agent(let agent):
            guard agentConnections[agent] == connection else { return }
            agentConnections[agent] = nil
            perform(.agentDisconnected(agent)) { [self] outcome in
                apply(outcome.notices)
                broadcastPresence(of: agent)
            }
        case .supervisor:
            supervisors[connection] = nil
        }
    }

    // MARK: Output

    var now: Instant { clock.now }
    var wallNow: WallTime { clock.wallNow }
    var nowTS: Int64 { ts(now) }

    func ts(_ instant: Instant) -> Int64 { max(0, instant.milliseconds &+ wallOffset) }

    func send(_ message: ServerMessage, to connection: ConnectionID) {
        delivery.send(message.encoded(), to: connection)
    }

    func ack(_ id: String?, on connection: ConnectionID, stored: Ack.Stored? = nil) {
        guard let id else { return }
        send(.ack(Ack(id: id, stored: stored)), to: connection)
    }

    /// Refuses a request; with `close`, the error is fatal and the connection closes.
    func fail(_ connection: ConnectionID, id: String?, _ code: ErrorCode, _ message: String, field: String? = nil,
              close: ApplicationCloseCode? = nil) {
        metrics.countError(code)
        // `unavailable` says when to ask again, like `rate_limited` does.
        let retry = code == .unavailable ? Self.unavailableRetryMs : nil
        send(.error(ErrorReport(id: id, code: code, message: message, field: field, fatal: close != nil, retryAfterMs: retry)),
             to: connection)
        if let close { delivery.close(connection, close) }
    }

    func fail(_ connection: ConnectionID, id: String?, _ error: ChatError, field: String? = nil) {
        fail(connection, id: id, ErrorCode(error), error.message, field: field)
    }

    /// How long a client waits before asking again after `unavailable`.
    static let unavailableRetryMs: Int64 = 1_000

    func notAuthenticated(_ connection: ConnectionID, id: String?) {
        fail(connection, id: id, .notAuthenticated, "The first message must be hello.", close: .notAuthenticated)
    }

    func customerConnection(of contact: ContactID) -> ConnectionID? { contactOwners[contact]?.connection }

    func agentConnection(of agent: AgentID?) -> ConnectionID? { agent.flatMap { agentConnections[$0] } }

    // MARK: Transcripts

    /// Numbers and stamps the next event of `conversation`, encodes it (once) and
    /// records it: the same bytes go to the store and, through `deliver`, to everyone.
    @discardableResult
    func record(_ conversation: ConversationID, at instant: Instant? = nil,
                _ make: (_ wireID: String, _ seq: Int64, _ ts: Int64) -> ConversationEvent) -> RecordedEvent {
        let event = RecordedEvent(make(wire(conversation), transcripts.lastSeq(of: conversation) + 1, ts(instant ?? now)))
        transcripts.append(event, to: conversation)
        return event
    }

    /// Sends a recorded event's bytes to each connection given (no encoding here).
    func deliver(_ event: RecordedEvent, to connections: ConnectionID?...) {
        for case let connection? in connections { delivery.send(event.bytes, to: connection) }
    }

    /// The relay's case, one recipient, without the variadic's array.
    func deliver(_ event: RecordedEvent, to connection: ConnectionID?) {
        if let connection { delivery.send(event.bytes, to: connection) }
    }

    /// The largest `history` message the broker makes: a longer page is cut (with
    /// `more: true`), so that one request cannot make megabytes.
    static let historyPageBytes = 256 * 1024

    /// Sends a page of history; returns its size in bytes.
    @discardableResult
    func sendHistory(of conversation: ConversationID, after seq: Int64, to connection: ConnectionID) -> Int {
        sendHistory(of: transcripts.key(conversation), after: seq, to: connection)
    }

    /// A page of any stored conversation's events (this boot's or an earlier one's),
    /// at most `ProtocolLimits.maxHistoryEvents` events and about `historyPageBytes`.
    @discardableResult
    func sendHistory(of key: TranscriptKey, after seq: Int64, to connection: ConnectionID) -> Int {
        var (events, more) = transcripts.events(of: key, after: seq, limit: ProtocolLimits.maxHistoryEvents)
        var bytes = ServerMessage.history(History(conversation: WireID.conversation(key), events: events, more: more)).encoded()
        while bytes.count > Self.historyPageBytes && events.count > 1 {
            events.removeLast(events.count / 2)
            more = true
            bytes = ServerMessage.history(History(conversation: WireID.conversation(key), events: events, more: more)).encoded()
        }
        delivery.send(bytes, to: connection)
        return bytes.count
    }

    /// Answers a client's `fetch_history`, paid from its sender's history budget: while
    /// that is in debt the request is refused with `rate_limited` (not fatal).
    func fetchHistory(of key: TranscriptKey, after seq: Int64, id: String?, on connection: ConnectionID) {
        let owner = budgetOwner(of: connection)
        if let wait = budgets.historyWait(of: owner, now: budgetClock) {
            metrics.countError(.rateLimited)
            send(.error(ErrorReport(id: id, code: .rateLimited,
                                    message: "Too much history asked for; wait before fetching more (limits.history_bytes_per_second).",
                                    fatal: false, retryAfterMs: wait)), to: connection)
            return
        }
        budgets.spentOnHistory(sendHistory(of: key, after: seq, to: connection), by: owner, now: budgetClock)
        ack(id, on: connection)
    }

    /// A conversation's wire id (`c-BOOT-N`).
    func wire(_ conversation: ConversationID) -> String { WireID.conversation(conversation, boot: transcripts.boot) }

    /// The conversation of this run that `key` names (nil: an earlier run's).
    func live(_ key: TranscriptKey) -> ConversationID? { key.boot == transcripts.boot ? ConversationID(key.number) : nil }

    /// Backpressure from the transcript store (the disk is behind or failing): the
    /// message is refused, not recorded, and the sender may send it again later.
    func storageBehind(_ connection: ConnectionID, id: String?) {
        transcripts.refusedOne()
        fail(connection, id: id, .rateLimited,
             "The transcript store is behind or cannot write (see /healthz); the message was not recorded. Send it again shortly.")
    }

    /// A conversation that ended: its transcript stays in memory among the newest
    /// `transcriptsKept` ended ones; then the store forgets it and its receipts go.
    func conversationEnded(_ conversation: ConversationID) {
        endedConversations.append(conversation)
        while endedConversations.count > limits.transcriptsKept, let oldest = endedConversations.removeFirst() {
            relay?.unfollow(wire(oldest))
            transcripts.forget(oldest)
            receipts[oldest] = nil
        }
    }

    /// Passes a receipt on to the other side, once per higher seq (cumulative).
    func receipt(in conversation: ConversationID, from side: Participant, kind: ReceiptKind, seq: Int64,
                 id: String?, on connection: ConnectionID, to other: Recipients) {
        guard seq <= transcripts.lastSeq(of: conversation) else {
            fail(connection, id: id, .invalidField, "'seq' is past the conversation's last event", field: "seq")
            return
        }
        var marks = receipts[conversation] ?? ReceiptMarks()
        let isNews: Bool
        switch (side, kind) {
        case (.customer, .delivered): isNews = seq > marks.customerDelivered; marks.customerDelivered = max(seq, marks.customerDelivered)
        case (.customer, .read): isNews = seq > marks.customerRead; marks.customerRead = max(seq, marks.customerRead)
        case (.agent, .delivered): isNews = seq > marks.agentDelivered; marks.agentDelivered = max(seq, marks.agentDelivered)
        case (.agent, .read): isNews = seq > marks.agentRead; marks.agentRead = max(seq, marks.agentRead)
        }
        receipts[conversation] = marks
        ack(id, on: connection)
        if isNews {
            tell(.receipt(Receipt(conversation: wire(conversation), from: side, kind: kind, seq: seq, ts: nowTS)),
                 in: conversation, to: other)
        }
    }
}

/// A first-in, first-out list that drops from the front without shifting: an array
/// and a head index, compacted once half of it is spent. A plain value.
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var count: Int { items.count - head }
    var first: Element? { head < items.count ? items[head] : nil }

    mutating func append(_ element: Element) { items.append(element) }

    mutating func removeFirst() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }
}
