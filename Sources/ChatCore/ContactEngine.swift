/// The contact centre as the broker's glue drives it: commands that change the state
/// and return the decisions taken as `[Notice]`, in order, and reads of that state.
///
/// `ContactCenter` is the engine of one process. An engine whose state is shared
/// between nodes (a cluster) can take its place behind this interface without the glue
/// changing; that is why the glue names only this protocol (centrifuge's `Broker` and
/// `PresenceManager` interfaces are the model).
///
/// Called on one thread only, the broker's domain thread, like `ContactCenter`.
public protocol ContactEngine: AnyObject {
    // MARK: Reading the state

    var configuration: CenterConfiguration { get }
    /// Monotonic time on the engine's clock: every timestamp and deadline.
    var now: Instant { get }
    /// Civil time on the engine's clock: business hours only.
    var wallNow: WallTime { get }
    /// The queues, in configuration order (`QueueID(i)` is `queues[i]`).
    var queues: [QueueConfiguration] { get }
    var agents: [Agent] { get }
    /// Whether business hours are open now.
    var isOpen: Bool { get }
    /// When `fireDueTimers()` should next be called (nil: nothing scheduled).
    var nextDeadline: Instant? { get }

    func queueID(forKey key: String) -> QueueID?
    func agent(_ id: AgentID) -> Agent?
    func agentID(forHandle handle: String) -> AgentID?
    func contact(_ id: ContactID) -> Contact?
    /// Whether `id` named a contact that has finished and been forgotten.
    func hasForgotten(_ id: ContactID) -> Bool
    func conversation(_ id: ConversationID) -> Conversation?
    func offer(_ id: OfferID) -> Offer?
    func placeInLine(of id: ContactID) -> Int?
    func waitingCount(in line: LineID) -> Int
    func firstWaiting(in line: LineID) -> ContactID?
    func waitingContacts(in line: LineID) -> [ContactID]
    func status(of queue: QueueID) -> QueueStatus?

    // MARK: Agents

    func addAgent(_ profile: AgentProfile) throws(ChatError) -> AgentID
    func setStatus(_ agent: AgentID, _ status: AgentStatus) throws(ChatError) -> [Notice]
    func agentDisconnected(_ agent: AgentID) throws(ChatError) -> [Notice]
    func agentReconnected(_ agent: AgentID) throws(ChatError) -> [Notice]
    func acceptOffer(_ offer: OfferID, by agent: AgentID) throws(ChatError) -> [Notice]
    func declineOffer(_ offer: OfferID, by agent: AgentID) throws(ChatError) -> [Notice]
    func agentReplied(in conversation: ConversationID, by agent: AgentID) throws(ChatError) -> [Notice]
    func endConversation(_ conversation: ConversationID, by agent: AgentID) throws(ChatError) -> [Notice]
    func transfer(_ conversation: ConversationID, to target: TransferTarget, by agent: AgentID) throws(ChatError) -> [Notice]

    // MARK: Customers

    func customerArrives(_ request: ContactRequest) throws(ChatError) -> (contact: ContactID, notices: [Notice])
    func resolveWithFAQ(_ contact: ContactID, entryID: String?) throws(ChatError) -> [Notice]
    func continueAfterFAQ(_ contact: ContactID) throws(ChatError) -> [Notice]
    func leaveMessage(after contact: ContactID, text: String, replyTo: String?) throws(ChatError) -> (contact: ContactID, notices: [Notice])
    func restoreMessage(_ request: ContactRequest, text: String) -> (contact: ContactID, notices: [Notice])
    func customerLeaves(_ contact: ContactID) throws(ChatError) -> [Notice]
    func customerDisconnected(_ contact: ContactID) throws(ChatError) -> [Notice]
    func customerReconnected(_ contact: ContactID) throws(ChatError) -> [Notice]
    func rate(_ conversation: ConversationID, by contact: ContactID, score: Int, comment: String?) throws(ChatError) -> [Notice]

    // MARK: Time

    /// Runs every timer due by now (offer timeouts, grace periods, business-hour
    /// changes, re-offer delays).
    func fireDueTimers() -> [Notice]

    // MARK: Commands as values

    /// Runs one of the commands above given as a value (`CenterCommand`), the way a
    /// command log replays it: never throws, a refusal is an outcome.
    func apply(_ command: CenterCommand) -> CommandOutcome
}

extension ContactCenter: ContactEngine {}
