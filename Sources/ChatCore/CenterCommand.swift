/// One mutating `ContactEngine` call as a value, with its arguments: what a command log
/// carries, so that every replica of the engine can replay the same calls in the same
/// order (`CenterReplica`) and take the same decisions.
///
/// The cases mirror `ContactEngine`'s commands one for one; `ContactCenter.apply(_:)`
/// runs them. A plain value; any thread may hold it.
public enum CenterCommand: Hashable, Sendable {
    // Agents.
    case addAgent(AgentProfile)
    case setStatus(AgentID, AgentStatus)
    case agentDisconnected(AgentID)
    case agentReconnected(AgentID)
    case acceptOffer(OfferID, by: AgentID)
    case declineOffer(OfferID, by: AgentID)
    case agentReplied(in: ConversationID, by: AgentID)
    case endConversation(ConversationID, by: AgentID)
    case transfer(ConversationID, to: TransferTarget, by: AgentID)

    // Customers.
    case customerArrives(ContactRequest)
    case resolveWithFAQ(ContactID, entryID: String?)
    case continueAfterFAQ(ContactID)
    case leaveMessage(after: ContactID, text: String, replyTo: String? = nil)
    case restoreMessage(ContactRequest, text: String)
    case customerLeaves(ContactID)
    case customerDisconnected(ContactID)
    case customerReconnected(ContactID)
    case rate(ConversationID, by: ContactID, score: Int, comment: String?)

    // Time.
    case fireDueTimers
}

/// The record a command made: the contact of `customerArrives`, `leaveMessage` and
/// `restoreMessage`, or the agent of `addAgent`. A plain value.
public enum CreatedRecord: Hashable, Sendable {
    case contact(ContactID)
    case agent(AgentID)
}

/// What applying a `CenterCommand` gave: the notices and the record it made, or the
/// `ChatError` that refused it. A refused command changed nothing, except that a
/// `queue_full` refusal is counted (`QueueCounters.rejectedFull`), which is why
/// refused commands must stay in the log too. A plain value.
public enum CommandOutcome: Hashable, Sendable {
    case applied(notices: [Notice], created: CreatedRecord?)
    case refused(ChatError)

    /// The decisions taken, in order (none when refused).
    public var notices: [Notice] {
        if case .applied(let notices, _) = self { return notices }
        return []
    }

    /// The refusal, if the command was refused.
    public var error: ChatError? {
        if case .refused(let error) = self { return error }
        return nil
    }

    /// The contact made by `customerArrives`, `leaveMessage` or `restoreMessage`.
    public var createdContact: ContactID? {
        if case .applied(_, .contact(let id)?) = self { return id }
        return nil
    }

    /// The agent made by `addAgent`.
    public var createdAgent: AgentID? {
        if case .applied(_, .agent(let id)?) = self { return id }
        return nil
    }
}
