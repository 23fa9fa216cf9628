// Commands that come from agents (through the agent console), from the configuration
// that lists them, and from the domain thread's timer. The rules live in
// CenterState+Agents.swift and CenterState+Timers.swift.

extension ContactCenter {
    /// Adds an agent, offline until they set a status. Throws `duplicate_agent`,
    /// `unknown_queue` (a skill), `invalid_configuration` (empty handle; capacity
    /// outside chat ≥ 0 and voice 0...1, since a call is exclusive: see `Capacity`).
    public func addAgent(_ profile: AgentProfile) throws(ChatError) -> AgentID {
        tick()
        return try state.addAgent(profile)
    }

    /// Sets the agent's availability. A status command also proves the agent is
    /// connected, ending any grace period.
    ///
    /// - available: pending messages of their queues are handed over, then they take
    ///   the oldest waiting contacts they can.
    /// - away: they keep their conversations but get nothing new; open offers are
    ///   withdrawn (those contacts return to their places).
    /// - offline: offers are withdrawn, conversations return to the front of their
    ///   queues, and a queue left with nobody on duty is closed out (`unattended`).
    ///
    /// Throws `unknown_agent`.
    public func setStatus(_ agent: AgentID, _ status: AgentStatus) throws(ChatError) -> [Notice] {
        tick()
        return try state.setStatus(agent, status)
    }

    /// The agent's connection dropped. They get nothing new, open offers are withdrawn,
    /// and after `agentGracePeriod` without reconnecting they go offline (conversations
    /// return to the front of their queues). Harmless when offline or already dropped.
    /// Throws `unknown_agent`.
    public func agentDisconnected(_ agent: AgentID) throws(ChatError) -> [Notice] {
        tick()
        return try state.agentDisconnected(agent)
    }

    /// The agent is back within the grace period: they keep their conversations and,
    /// if available, take work again. Harmless when not dropped. Throws `unknown_agent`.
    public func agentReconnected(_ agent: AgentID) throws(ChatError) -> [Notice] {
        tick()
        return try state.agentReconnected(agent)
    }

    /// Accepts an offer: the conversation starts (`.assigned`). Throws `unknown_agent`,
    /// `unknown_offer` (also once expired or withdrawn), `not_offered`.
    public func acceptOffer(_ offer: OfferID, by agent: AgentID) throws(ChatError) -> [Notice] {
        tick()
        return try state.acceptOffer(offer, by: agent)
    }

    /// Declines an offer: the contact returns to its original place in line, and this
    /// agent is not given it again for `reofferDelay` (others may take it at once).
    /// Throws as `acceptOffer`.
    public func declineOffer(_ offer: OfferID, by agent: AgentID) throws(ChatError) -> [Notice] {
        tick()
        return try state.declineOffer(offer, by: agent)
    }

    /// Records that the agent sent a message (the first on the contact stamps
    /// `firstAgentReplyAt` and returns `.answered`).
    /// Doubles as the check that the agent may write in this conversation: throws
    /// `unknown_conversation`, `not_assigned`.
    public func agentReplied(in conversation: ConversationID, by agent: AgentID) throws(ChatError) -> [Notice] {
        tick()
        return try state.agentReplied(in: conversation, by: agent)
    }

    /// The agent ends the conversation (`agent_ended`). Throws `unknown_conversation`,
    /// `not_assigned` (also once ended).
    public func endConversation(_ conversation: ConversationID, by agent: AgentID) throws(ChatError) -> [Notice] {
        tick()
        return try state.endConversation(conversation, by: agent)
    }

    /// Moves a conversation, keeping its id.
    ///
    /// - `.queue(q)`: to the front of `q`'s line (among other returned contacts, by
    ///   arrival); this agent is not given it again for `reofferDelay`. Throws
    ///   `unknown_queue`, `topic_unattended`, `queue_full`.
    /// - `.agent(b)`: straight to `b`, who must be available, connected and have room
    ///   for the channel (skills are not required; no offer is made). Throws
    ///   `unknown_agent`, `agent_unavailable`, `invalid_state` (to oneself).
    ///
    /// Also throws `unknown_conversation`, `not_assigned`.
    public func transfer(_ conversation: ConversationID, to target: TransferTarget, by agent: AgentID) throws(ChatError) -> [Notice] {
        tick()
        return try state.transfer(conversation, to: target, by: agent)
    }

    /// Runs everything due at the clock's `now`: expired offers return their contacts
    /// to their places, ended customer grace periods end contacts (timed out), ended
    /// agent grace periods take agents offline, ended re-offer delays make contacts
    /// routable again, and when business hours close everyone waiting is closed out
    /// with "leave a message". Call it at `nextDeadline` (early is harmless).
    public func fireDueTimers() -> [Notice] {
        tick()
        return state.fireDueTimers()
    }
}
