// Routing: who gets which waiting contact, and the bookkeeping that keeps it fast.
// Every command ends with `finish()`, which settles the routing work the command
// created and hands back the notices.

extension CenterState {
    /// Settles the routing work of the command and returns its notices.
    mutating func finish() -> [Notice] {
        dispatch()
        for i in changedLineList {
            changedLines[i] = false
            if lines[i].count > 0 { notices.append(.lineChanged(lineID(index: i))) }
        }
        changedLineList.removeAll(keepingCapacity: true)
        let out = notices
        notices = []
        notices.reserveCapacity(8)  // One allocation per command instead of growth steps.
        return out
    }

    /// Customers made routable go first, oldest first, each to the best agent; then
    /// agents who gained room take the oldest contacts they can serve.
    mutating func dispatch() {
        if !routableContacts.isEmpty {
            if routableContacts.count > 1 {
                let contacts = self.contacts  // shares storage; read while the list is sorted
                routableContacts.sort { Self.orderKey(of: $0, in: contacts) < Self.orderKey(of: $1, in: contacts) }
            }
            for id in routableContacts { routeContact(id) }
            routableContacts.removeAll(keepingCapacity: true)
        }
        if !agentsWithRoom.isEmpty {
            for id in agentsWithRoom { fillAgent(id) }
            agentsWithRoom.removeAll(keepingCapacity: true)
        }
        flushRankings()
    }

    static func orderKey(of id: ContactID, in contacts: Slab<ContactID, Contact>) -> Int64 {
        contacts.contains(id) ? contacts[live: id].orderKey : .max
    }

    func lineID(index: Int) -> LineID {
        LineID(queue: QueueID(Int32(index >> 1)), channel: index & 1 == 1 ? .voice : .chat)
    }

    // MARK: - Lines

    /// Puts a contact in `line` at its order key and marks it routable; returns its
    /// place (1 is next).
    @discardableResult
    mutating func putInLine(_ id: ContactID, _ line: LineID) -> Int {
        let now = self.now
        let li = line.index
        let entry: WaitingLine.Entry = modifyContact(id) { c in
            c.state = .waiting(line)
            c.agent = nil
            if c.enqueuedAt == nil { c.enqueuedAt = now }
            return WaitingLine.Entry(key: c.orderKey, contact: id, blocked: c.isBlocked)
        }
        let position = lines[li].insert(entry)
        waitingCount[line.queue.index] += 1
        if position < lines[li].count - 1 { markLineChanged(li) }
        routableContacts.append(id)
        return position + 1
    }

    /// Takes a waiting contact out of its line (its state is left for the caller).
    mutating func takeFromLine(_ line: LineID, key: Int64) {
        let li = line.index
        guard let position = lines[li].remove(key: key) else { return }
        waitingCount[line.queue.index] -= 1
        if position < lines[li].count { markLineChanged(li) }
    }

    mutating func markLineChanged(_ li: Int) {
        if !changedLines[li] {
            changedLines[li] = true
            changedLineList.append(li)
        }
    }

    @inline(__always)
    mutating func modifyContact<R>(_ id: ContactID, _ body: (inout Contact) -> R) -> R {
        body(&contacts[live: id])  // Callers pass ids of contacts they have just looked up.
    }

    // MARK: - Matching

    /// Gives a routable contact to the best agent who can take it, if any.
    mutating func routeContact(_ id: ContactID) {
        guard contacts.contains(id), case .waiting(let line) = contacts[live: id].state,
              contacts[live: id].disconnectedAt == nil else { return }
        flushRankings()
        guard let agent = bestAgent(in: line.index, for: id) else { return }
        takeFromLine(line, key: contacts[live: id].orderKey)
        give(id, line: line, to: agent)
    }

    /// The top of a line's ranking, skipping stale entries and agents the contact excludes.
    mutating func bestAgent(in li: Int, for contact: ContactID) -> AgentID? {
        var setAside: [AgentRanking.Candidate] = []
        defer { for c in setAside { rankings[li].push(c) } }
        while let top = rankings[li].top {
            let agent = AgentID(top.agent)
            if agents[agent.index].version != top.version {
                rankings[li].popTop()
            } else if !contacts[live: contact].exclusions.isEmpty && contacts[live: contact].excludes(agent, at: now) {
                setAside.append(rankings[li].popTop()!)  // top is non-nil: just read.
            } else {
                return agent
            }
        }
        return nil
    }

    /// Lets an agent who gained room take the oldest contacts they can serve, across
    /// their queues and live channels, until full or none is left.
    mutating func fillAgent(_ id: AgentID) {
        let i = id.index
        let skills = agents[i].skills
        while true {
            let (chatRoom, callRoom) = room(ofAgentAt: i)
            guard chatRoom || callRoom else { return }
            var best: (key: Int64, line: Int, contact: ContactID)?
            for queue in skills {
                let base = queue.index &* 2
                if chatRoom, let e = firstEligible(in: base, for: id), e.key < (best?.key ?? .max) {
                    best = (e.key, base, e.contact)
                }
                if callRoom, let e = firstEligible(in: base &+ 1, for: id), e.key < (best?.key ?? .max) {
                    best = (e.key, base &+ 1, e.contact)
                }
            }
            guard let best else { return }
            let line = lineID(index: best.line)
            takeFromLine(line, key: best.key)
            give(best.contact, line: line, to: id)
        }
    }

    /// Whether the agent at `i` is routable and has room for a chat, and for a call:
    /// `Agent.isRoutable`, `freeChatSlots > 0` and `canTakeCall`, read field by field so
    /// that the agent is not copied.
    @inline(__always)
    func room(ofAgentAt i: Int) -> (chat: Bool, call: Bool) {
        guard agents[i].status == .available, agents[i].droppedAt == nil else { return (false, false) }
        let chats = agents[i].heldChats
        let calls = agents[i].heldCalls
        return (calls == 0 && chats < agents[i].capacity.chat,
                calls == 0 && chats == 0 && agents[i].capacity.voice > 0)
    }

    /// The first entry of a line that `agent` may take: connected, and not excluding them.
    func firstEligible(in li: Int, for agent: AgentID) -> WaitingLine.Entry? {
        let count = lines[li].count
        var p = 0
        while p < count {
            let e = lines[li][p]
            if !e.blocked { return e }
            if contacts[live: e.contact].disconnectedAt == nil && !contacts[live: e.contact].excludes(agent, at: now) {
                return e  // Entries in a line are live contacts.
            }
            p &+= 1
        }
        return nil
    }

    /// Hands a contact just taken out of `line` to `agent`: assigned, or offered.
    mutating func give(_ id: ContactID, line: LineID, to agent: AgentID) {
        let now = self.now
        hold(agent, line.channel)
        switch configuration.routing {
        case .direct:
            assign(id, to: agent)
        case .offer(let timeout):
            let offer = Offer(id: OfferID(nextOfferNumber), contact: id, agent: agent, line: line,
                              offeredAt: now, expiresAt: now.advanced(by: timeout))
            nextOfferNumber &+= 1
            offers[offer.id] = offer
            agents[agent.index].offers.append(offer.id)
            modifyContact(id) { c in
                c.state = .offered(offer.id)
                c.agent = agent
                if c.offeredAt == nil { c.offeredAt = now }
            }
            deadlines.schedule(.offerExpires(offer.id), at: offer.expiresAt)
            notices.append(.offered(offer))
        }
    }

    /// Makes `agent` hold the contact's conversation (creating it on first assignment).
    /// The slot must already be held.
    mutating func assign(_ id: ContactID, to agent: AgentID) {
        let now = self.now
        let existing = contacts[live: id].conversation  // Callers pass a live contact.
        let conversationID: ConversationID
        if let existing {
            conversationID = existing
            conversations[live: existing].agent = agent  // A contact's conversation lives as long as it.
            conversations[live: existing].laterAgents.append(agent)
        } else {
            let channel = contacts[live: id].channel
            conversationID = conversations.insert { newID in
                Conversation(id: newID, contact: id, channel: channel, agent: agent, at: now)
            }
        }
        modifyContact(id) { c in
            c.state = .inConversation(conversationID)
            c.conversation = conversationID
            c.agent = agent
            if c.assignedAt == nil { c.assignedAt = now }
        }
        agents[agent.index].conversations.append(conversationID)
        agents[agent.index].lastAssignedAt = now
        agentChanged(agent)
        notices.append(.assigned(conversationID, id, agent))
    }

    // MARK: - Capacity

    mutating func hold(_ agent: AgentID, _ channel: Channel) {
        if channel == .voice { agents[agent.index].heldCalls += 1 } else { agents[agent.index].heldChats += 1 }
        agentChanged(agent)
    }

    mutating func release(_ agent: AgentID, _ channel: Channel) {
        if channel == .voice { agents[agent.index].heldCalls -= 1 } else { agents[agent.index].heldChats -= 1 }
        agentChanged(agent)
        agentsWithRoom.append(agent)
    }

    // MARK: - Rankings

    /// Marks an agent's ranking entries stale; fresh ones are pushed before the next
    /// ranking read.
    mutating func agentChanged(_ id: AgentID) {
        agents[id.index].version &+= 1
        if !agents[id.index].awaitingRanking {
            agents[id.index].awaitingRanking = true
            agentsToRank.append(id)
        }
    }

    mutating func flushRankings() {
        guard !agentsToRank.isEmpty else { return }
        for id in agentsToRank {
            let i = id.index
            agents[i].awaitingRanking = false
            let (chatRoom, callRoom) = room(ofAgentAt: i)
            guard chatRoom || callRoom else { continue }
            let candidate = AgentRanking.Candidate(
                freeSlots: Int32(clamping: agents[i].capacity.chat - agents[i].heldChats),
                lastAssigned: agents[i].lastAssignedAt?.milliseconds ?? .min,
                agent: id.rawValue, version: agents[i].version)
            for queue in agents[i].skills {
                let base = queue.index &* 2
                if chatRoom { pushCandidate(candidate, base) }
                if callRoom { pushCandidate(candidate, base &+ 1) }
            }
        }
        agentsToRank.removeAll(keepingCapacity: true)
    }

    private mutating func pushCandidate(_ candidate: AgentRanking.Candidate, _ li: Int) {
        rankings[li].push(candidate)
        if rankings[li].needsCompaction {
            let agents = self.agents
            rankings[li].compact { agents[Int($0.agent)].version == $0.version }
        }
    }
}
