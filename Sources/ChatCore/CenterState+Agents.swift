// Commands that come from agents (through the agent console) and from the
// configuration that lists them.

extension CenterState {
    /// See `ContactCenter.addAgent`.
    mutating func addAgent(_ profile: AgentProfile) throws(ChatError) -> AgentID {
        guard !profile.handle.isEmpty else { throw .invalidConfiguration("an agent has an empty handle") }
        guard agentIDsByHandle[profile.handle] == nil else { throw .duplicateAgent }
        for skill in profile.skills where !knows(skill) {
            throw .unknownQueue
        }
        guard profile.capacity.chat >= 0, (0...1).contains(profile.capacity.voice) else {
            throw .invalidConfiguration("agent '\(profile.handle)': capacity needs chat >= 0 and voice 0 or 1")
        }
        guard agents.count < Int(Int32.max) else { throw .invalidConfiguration("too many agents") }
        let id = AgentID(Int32(agents.count))
        let agent = Agent(id: id, profile: profile)
        for skill in agent.skills {
            rankings[skill.index * 2].agentsServing += 1
            rankings[skill.index * 2 + 1].agentsServing += 1
        }
        agents.append(agent)
        agentIDsByHandle[profile.handle] = id
        return id
    }

    /// See `ContactCenter.setStatus`.
    mutating func setStatus(_ id: AgentID, _ status: AgentStatus) throws(ChatError) -> [Notice] {
        guard knows(id) else { throw .unknownAgent }
        let old = agents[id.index].status
        if old == status && agents[id.index].droppedAt == nil { return finish() }
        if status == .offline {
            goOffline(id)
            return finish()
        }
        agents[id.index].droppedAt = nil
        agents[id.index].status = status
        agentChanged(id)
        if old == .offline {
            for queue in agents[id.index].skills { agentsOnDuty[queue.index] += 1 }
        }
        if old != status { notices.append(.agentStatusChanged(id, status)) }
        if status == .available {
            deliverMessages(to: id)
            agentsWithRoom.append(id)
        } else {
            for offer in agents[id.index].offers { withdrawOffer(offer, .agentUnavailable, requeue: true) }
        }
        return finish()
    }

    /// See `ContactCenter.agentDisconnected`.
    mutating func agentDisconnected(_ id: AgentID) throws(ChatError) -> [Notice] {
        guard knows(id) else { throw .unknownAgent }
        guard agents[id.index].status != .offline, agents[id.index].droppedAt == nil else { return finish() }
        agents[id.index].droppedAt = now
        agents[id.index].dropGeneration &+= 1
        agentChanged(id)
        for offer in agents[id.index].offers { withdrawOffer(offer, .agentUnavailable, requeue: true) }
        deadlines.schedule(.agentGraceEnds(id, generation: agents[id.index].dropGeneration),
                           at: now.advanced(by: configuration.agentGracePeriod))
        return finish()
    }

    /// See `ContactCenter.agentReconnected`.
    mutating func agentReconnected(_ id: AgentID) throws(ChatError) -> [Notice] {
        guard knows(id) else { throw .unknownAgent }
        guard agents[id.index].droppedAt != nil else { return finish() }
        agents[id.index].droppedAt = nil
        agentChanged(id)
        if agents[id.index].isRoutable {
            deliverMessages(to: id)
            agentsWithRoom.append(id)
        }
        return finish()
    }

    /// See `ContactCenter.acceptOffer`.
    mutating func acceptOffer(_ offerID: OfferID, by agent: AgentID) throws(ChatError) -> [Notice] {
        guard knows(agent) else { throw .unknownAgent }
        guard let offer = offers[offerID] else { throw .unknownOffer }
        guard offer.agent == agent else { throw .notOffered }
        offers[offerID] = nil
        agents[agent.index].offers.removeAll { $0 == offerID }
        assign(offer.contact, to: agent)
        return finish()
    }

    /// See `ContactCenter.declineOffer`.
    mutating func declineOffer(_ offerID: OfferID, by agent: AgentID) throws(ChatError) -> [Notice] {
        guard knows(agent) else { throw .unknownAgent }
        guard let offer = offers[offerID] else { throw .unknownOffer }
        guard offer.agent == agent else { throw .notOffered }
        withdrawOffer(offerID, .declined, requeue: true)
        return finish()
    }

    /// See `ContactCenter.agentReplied`.
    mutating func agentReplied(in conversationID: ConversationID, by agent: AgentID) throws(ChatError) -> [Notice] {
        let now = self.now
        try checkHeld(conversationID, by: agent)
        let conversation = conversations[live: conversationID]
        if conversation.firstAgentReplyAt == nil {
            conversations[live: conversationID].firstAgentReplyAt = now  // Looked up above.
            let first = modifyContact(conversation.contact) { c in
                guard c.firstAgentReplyAt == nil else { return false }
                c.firstAgentReplyAt = now
                return true
            }
            if first { notices.append(.answered(conversationID, conversation.contact)) }
        }
        return finish()
    }

    /// See `ContactCenter.endConversation`.
    mutating func endConversation(_ conversationID: ConversationID, by agent: AgentID) throws(ChatError) -> [Notice] {
        try checkHeld(conversationID, by: agent)
        endConversation(conversationID, .agentEnded)
        return finish()
    }

    /// See `ContactCenter.transfer`.
    mutating func transfer(_ conversationID: ConversationID, to target: TransferTarget, by agent: AgentID) throws(ChatError) -> [Notice] {
        try checkHeld(conversationID, by: agent)
        let conversation = conversations[live: conversationID]
        let contactID = conversation.contact
        switch target {
        case .queue(let queue):
            guard knows(queue) else { throw .unknownQueue }
            guard agentsOnDuty[queue.index] > 0 else { throw .topicUnattended }
            guard waitingCount[queue.index] < configuration.queues[queue.index].maxWaiting else { throw .queueFull }
            letGo(conversationID, of: agent, to: target)
            modifyContact(contactID) { c in
                c.currentQueue = queue
                if c.orderKey > 0 { c.orderKey -= Self.frontOffset }
            }
            exclude(agent, from: contactID)
            let line = LineID(queue: queue, channel: conversation.channel)
            let place = putInLine(contactID, line)
            notices.append(.queued(contactID, line, place: place))
        case .agent(let other):
            guard knows(other) else { throw .unknownAgent }
            guard other != agent else { throw .invalidState("a conversation cannot be transferred to its own agent") }
            guard agents[other.index].isRoutable, agents[other.index].hasRoom(for: conversation.channel) else {
                throw .agentUnavailable
            }
            letGo(conversationID, of: agent, to: target)
            hold(other, conversation.channel)
            assign(contactID, to: other)
        }
        return finish()
    }

    // MARK: - Steps

    func checkHeld(_ id: ConversationID, by agent: AgentID) throws(ChatError) {
        guard conversations.contains(id) else { throw .unknownConversation }
        guard conversations[live: id].agent == agent else { throw .notAssigned }
    }

    /// The first half of a transfer: the agent gives the conversation up.
    private mutating func letGo(_ id: ConversationID, of agent: AgentID, to target: TransferTarget) {
        let conversation = conversations[live: id]  // Callers looked it up.
        agents[agent.index].conversations.removeAll { $0 == id }
        release(agent, conversation.channel)
        conversations[live: id].agent = nil
        conversations[live: id].transfers.append(Transfer(from: agent, to: target, at: now, reason: .requested))
        modifyContact(conversation.contact) { $0.agent = nil }
        notices.append(.transferred(id, conversation.contact, from: agent, to: target))
    }

    /// Offline: offers withdrawn, conversations back to the front of their queues, and
    /// queues left with nobody on duty closed out.
    mutating func goOffline(_ id: AgentID) {
        let wasOnDuty = agents[id.index].isOnDuty
        agents[id.index].status = .offline
        agents[id.index].droppedAt = nil
        agentChanged(id)
        if wasOnDuty {
            notices.append(.agentStatusChanged(id, .offline))
            for queue in agents[id.index].skills { agentsOnDuty[queue.index] -= 1 }
        }
        returnWork(of: id)
        if wasOnDuty {
            for queue in agents[id.index].skills where agentsOnDuty[queue.index] == 0 {
                closeOutQueue(queue, .unattended)
            }
        }
    }
}
