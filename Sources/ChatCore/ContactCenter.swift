/// The broker's domain engine: agents and their presence, customers in per-topic
/// lines, routing, offers, transfers, grace periods, business hours, left messages,
/// FAQ deflection and ratings.
///
/// Pure: no I/O and no threads. Every command is a method that changes the state and
/// returns the decisions it took as `[Notice]`, in order; a command that fails throws
/// a `ChatError` and changes nothing (except counting a `queue_full` rejection). Time
/// is read from the injected `Clock` once per command; timers are reported through
/// `nextDeadline` and run by `fireDueTimers()`.
///
/// Owned by the broker's single domain thread: every call must come from that thread
/// (connections on other loops hand it commands and receive its notices).
///
/// Routing, in both modes (`RoutingMode`): whenever a customer becomes routable
/// (arrives, reconnects, returns to a line) it goes to the best agent who can take
/// it, if any; whenever an agent gains room (a slot frees, they become available or
/// reconnect) they take the oldest waiting contacts they can serve, across their
/// queues, until full. So no waiting contact is left while an agent who could take it
/// has room. "Best" is the most free chat slots, then the longest since the last
/// assignment, then the lowest id; "oldest" is contacts returned to the front first
/// (after a transfer or an agent's departure), then arrival order. Voice is exclusive
/// (see `Capacity`).
///
/// Ids (`ContactID`, `ConversationID`, `OfferID`) are unique within one engine's
/// life; storage that outlives the process should qualify them with a boot id.
///
/// Driving it from the glue (every line on the domain thread):
///
/// ```swift
/// let center = try ContactCenter(configuration: configuration, clock: SystemClock())
/// let orders = center.queueID(forKey: "orders")!
/// let kim = try center.addAgent(AgentProfile(handle: "kim", displayName: "김상담", skills: [orders]))
/// deliver(try center.setStatus(kim, .available))
/// let (contact, notices) = try center.customerArrives(
///     ContactRequest(queue: orders, preChat: PreChat(orderNumber: "2024-0001", firstMessage: "배송이 언제 와요?")))
/// deliver(notices)                      // .faqSuggested / .queued / .assigned / …
/// // When the loop's timer fires at `center.nextDeadline`:
/// deliver(center.fireDueTimers())
/// ```
///
/// A thrown `ChatError`'s `code` is what the wire protocol sends back.
public final class ContactCenter<C: Clock> {
    let clock: C
    var state: CenterState

    /// Starts with no agents (add them with `addAgent`). Throws `invalid_configuration`.
    public init(configuration: CenterConfiguration = CenterConfiguration(), clock: C) throws(ChatError) {
        self.clock = clock
        self.state = try CenterState(configuration: configuration, now: clock.now, wallNow: clock.wallNow)
    }

    /// Brings the state's notion of time up to the clock before a command.
    @inline(__always)
    func tick() {
        state.now = clock.now
        state.wallNow = clock.wallNow
    }

    // MARK: - Reading the state (no notices, no time passes)

    public var configuration: CenterConfiguration { state.configuration }

    /// The current time on the injected clock.
    public var now: Instant { clock.now }

    /// The current civil time on the injected clock (business hours only).
    public var wallNow: WallTime { clock.wallNow }

    /// The queues, in configuration order (`QueueID(i)` is `queues[i]`).
    public var queues: [QueueConfiguration] { state.configuration.queues }

    public func queueID(forKey key: String) -> QueueID? { state.queueIDsByKey[key] }

    public func agent(_ id: AgentID) -> Agent? { state.knows(id) ? state.agents[id.index] : nil }

    public func agentID(forHandle handle: String) -> AgentID? { state.agentIDsByHandle[handle] }

    /// Every agent, by id.
    public var agents: [Agent] { state.agents }

    /// A contact that is active or among the last `endedContactsKept` ended ones.
    public func contact(_ id: ContactID) -> Contact? { state.contacts[id] }

    /// Whether `id` named a contact that has finished and been forgotten (not one this
    /// engine has not made yet: a replica behind the log).
    public func hasForgotten(_ id: ContactID) -> Bool { state.contacts.wasRemoved(id) }

    /// A conversation whose contact is active or among the last `endedContactsKept` ended.
    public func conversation(_ id: ConversationID) -> Conversation? { state.conversations[id] }

    /// An offer still waiting for its agent's answer.
    public func offer(_ id: OfferID) -> Offer? { state.offers[id] }

    /// The contact's place in its line (1 is next), or nil when it is not waiting.
    /// O(log n).
    public func placeInLine(of id: ContactID) -> Int? { state.placeInLine(of: id) }

    /// How many contacts wait in a line. O(1).
    public func waitingCount(in line: LineID) -> Int {
        state.knows(line.queue) ? state.lines[line.index].count : 0
    }

    /// The contact at the front of a line (the one waiting longest, or returned to the
    /// front), if any. O(1).
    public func firstWaiting(in line: LineID) -> ContactID? {
        guard state.knows(line.queue), state.lines[line.index].count > 0 else { return nil }
        return state.lines[line.index][0].contact
    }

    /// Contacts waiting in all lines. O(queues).
    public var waitingTotal: Int { state.waitingCount.reduce(0, +) }

    /// The contacts waiting in a line, first to last. O(n).
    public func waitingContacts(in line: LineID) -> [ContactID] {
        state.knows(line.queue) ? state.lines[line.index].entries.map(\.contact) : []
    }

    /// Left messages not yet handed to an agent, all queues together.
    public var pendingMessageCount: Int { state.pendingMessages }

    /// Whether business hours are open now.
    public var isOpen: Bool { state.businessHours.isOpen(at: clock.wallNow) }

    /// A queue's live figures, for the dashboard and `/metrics`.
    public func status(of queue: QueueID) -> QueueStatus? {
        guard state.knows(queue) else { return nil }
        return QueueStatus(
            queue: queue,
            waitingChats: state.lines[LineID(queue: queue, channel: .chat).index].count,
            waitingCalls: state.lines[LineID(queue: queue, channel: .voice).index].count,
            agentsOnDuty: state.agentsOnDuty[queue.index],
            pendingMessages: state.mailboxes[queue.index].count,
            counters: state.counters[queue.index])
    }

    /// When `fireDueTimers()` should next be called (nil: nothing scheduled). It may be
    /// earlier than any real work (timers are not cancelled); calling early is harmless.
    public var nextDeadline: Instant? { state.nextDeadline }
}
