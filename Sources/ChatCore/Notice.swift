/// Why a customer is offered "leave a message" instead of a place in line. A plain value.
public enum LeaveMessageReason: String, Hashable, Sendable {
    /// Outside business hours.
    case closed
    /// No agent on duty serves the queue.
    case unattended
}

/// A decision of the engine, for the glue to turn into wire messages (and for the
/// statistics to count). Commands return them in the order they happened; the engine
/// never calls out. Values only; any thread may hold them.
public enum Notice: Hashable, Sendable {
    // To the customer.
    /// FAQ answers that may solve the problem; the customer answers with
    /// `resolveWithFAQ` or `continueAfterFAQ`.
    case faqSuggested(ContactID, [FAQMatch])
    /// The contact was closed out; the customer may `leaveMessage(after:text:)`.
    case leaveMessageOffered(ContactID, LeaveMessageReason)
    /// The contact joined a line at this place (1 is next).
    case queued(ContactID, LineID, place: Int)
    /// Places in this line moved (someone ahead left or was taken, or someone was put
    /// ahead). At most one per line per command; the glue reads the new places with
    /// `placeInLine(of:)` or `waitingContacts(in:)`, throttled as it likes.
    case lineChanged(LineID)
    /// A left message was stored for agents.
    case messageStored(ContactID)

    // To the agent.
    case offered(Offer)
    /// The offer is over without being accepted; the contact is back in line (unless
    /// the customer left).
    case offerWithdrawn(Offer, OfferEndReason)
    /// A left message (an `.email` contact) is handed to this agent.
    case messageDelivered(ContactID, to: AgentID)

    // To both sides.
    /// The agent now holds the conversation (first assignment, accept, transfer to agent,
    /// or routing after a return to line).
    case assigned(ConversationID, ContactID, AgentID)
    case transferred(ConversationID, ContactID, from: AgentID, to: TransferTarget)
    /// The agent left (offline or grace period over); the conversation went back to the
    /// front of its queue.
    case returnedToQueue(ConversationID, ContactID, from: AgentID)
    case conversationEnded(ConversationID, ContactID, agent: AgentID?, ConversationEndReason)
    /// An agent's first message on the contact (its speed of answer is now known); once
    /// per contact, through transfers.
    case answered(ConversationID, ContactID)

    // To supervisors and statistics.
    case agentStatusChanged(AgentID, AgentStatus)
    /// The contact has ended; its final record is `contact(_:)` (kept until it leaves
    /// the history of `CenterConfiguration.endedContactsKept`). Exactly one per contact.
    case contactFinished(ContactID)
    case rated(ConversationID, Rating)
}
