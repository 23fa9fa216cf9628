// How contacts and conversations end, return to a line, or are closed out: the
// shared steps behind the customer, agent and timer commands.

extension CenterState {
    /// Ends a contact with `outcome`, records it in the bounded history and announces it.
    mutating func finishContact(_ id: ContactID, _ outcome: ContactOutcome) {
        let now = self.now
        modifyContact(id) { c in
            c.state = .ended(outcome)
            c.endedAt = now
            c.agent = nil
            c.exclusions = []
            if case .abandoned(let reason) = outcome {
                c.abandonedAt = now
                c.abandonReason = reason
            }
        }
        notices.append(.contactFinished(id))
        endedContacts.append(id)
        while endedContacts.count > configuration.endedContactsKept, let old = endedContacts.popFirst() {
            guard contacts.contains(old) else { continue }
            if let conversation = contacts[live: old].conversation { conversations.remove(conversation) }
            contacts.remove(old)
        }
    }

    /// Ends a live conversation, frees its agent's slot and ends the contact as served.
    /// The contact must not be in a line or offered (see `detach`).
    mutating func endConversation(_ id: ConversationID, _ reason: ConversationEndReason) {
        guard conversations.contains(id), conversations[live: id].endedAt == nil else { return }
        let agent = conversations[live: id].agent
        let contact = conversations[live: id].contact
        if let agent {
            agents[agent.index].conversations.removeAll { $0 == id }
            release(agent, conversations[live: id].channel)
        }
        conversations[live: id].agent = nil
        conversations[live: id].endedAt = now
        conversations[live: id].endReason = reason
        notices.append(.conversationEnded(id, contact, agent: agent, reason))
        finishContact(contact, .served)
    }

    /// Takes a contact out of its line, or withdraws its offer, without requeueing.
    mutating func detach(_ id: ContactID, offerReason: OfferEndReason) {
        guard let c = contacts[id] else { return }
        switch c.state {
        case .waiting(let line):
            takeFromLine(line, key: c.orderKey)
        case .offered(let offer):
            withdrawOffer(offer, offerReason, requeue: false)
        default:
            break
        }
    }

    /// Ends an open offer: frees the agent's slot, tells the agent, and (when `requeue`)
    /// puts the contact back at its original place. Declined and expired offers also
    /// keep that agent from the contact for `reofferDelay`.
    mutating func withdrawOffer(_ id: OfferID, _ reason: OfferEndReason, requeue: Bool) {
        guard let offer = offers.removeValue(forKey: id) else { return }
        agents[offer.agent.index].offers.removeAll { $0 == id }
        release(offer.agent, offer.line.channel)
        notices.append(.offerWithdrawn(offer, reason))
        modifyContact(offer.contact) { $0.agent = nil }
        if reason == .declined || reason == .expired {
            exclude(offer.agent, from: offer.contact)
            modifyContact(offer.contact) { $0.offersRefused += 1 }
        }
        if requeue { returnToLine(offer.contact, offer.line) }
    }

    /// Keeps `agent` from being given `contact` again for `reofferDelay`.
    mutating func exclude(_ agent: AgentID, from contact: ContactID) {
        let until = now.advanced(by: configuration.reofferDelay)
        guard until > now else { return }
        modifyContact(contact) { c in
            c.exclusions.removeAll { $0.agent == agent }
            c.exclusions.append(Contact.Exclusion(agent: agent, until: until))
        }
        deadlines.schedule(.exclusionEnds(contact), at: until)
    }

    /// Puts a contact that already had a place back in `line` (ignoring the length
    /// limit), or closes it out when the center is closed or nobody serves the queue.
    mutating func returnToLine(_ id: ContactID, _ line: LineID) {
        if !isOpen {
            closeOut(id, .closed)
        } else if agentsOnDuty[line.queue.index] == 0 {
            closeOut(id, .unattended)
        } else {
            let place = putInLine(id, line)
            notices.append(.queued(id, line, place: place))
        }
    }

    /// Ends a contact that is not in a line or offered, offering "leave a message".
    /// A contact whose conversation was waiting in line ends that conversation.
    mutating func closeOut(_ id: ContactID, _ reason: LeaveMessageReason) {
        guard let c = contacts[id] else { return }
        counters[c.currentQueue.index].closedOut += 1
        notices.append(.leaveMessageOffered(id, reason))
        if let conversation = c.conversation, conversations[conversation]?.isEnded == false {
            endConversation(conversation, .closed)
        } else {
            finishContact(id, .abandoned(.closed))
        }
    }

    /// Closes out everyone waiting in a queue's lines, first in line first.
    mutating func closeOutQueue(_ queue: QueueID, _ reason: LeaveMessageReason) {
        for channel in [Channel.chat, .voice] {
            let line = LineID(queue: queue, channel: channel)
            while let first = lines[line.index].entries.first {
                takeFromLine(line, key: first.key)
                closeOut(first.contact, reason)
            }
        }
    }

    /// Sends an agent's offers and conversations back to their lines: offers to their
    /// original places, conversations to the front (they had already been answered).
    mutating func returnWork(of agent: AgentID) {
        for offer in agents[agent.index].offers {
            withdrawOffer(offer, .agentUnavailable, requeue: true)
        }
        let held = agents[agent.index].conversations
        for id in held {
            guard let conversation = conversations[id] else { continue }
            let contactID = conversation.contact
            agents[agent.index].conversations.removeAll { $0 == id }
            release(agent, conversation.channel)
            let queue = contacts[contactID]!.currentQueue  // A live conversation's contact is live.
            conversations[live: id].agent = nil
            conversations[live: id].transfers.append(
                Transfer(from: agent, to: .queue(queue), at: now, reason: .agentLeft))
            modifyContact(contactID) { c in
                c.agent = nil
                if c.orderKey > 0 { c.orderKey -= Self.frontOffset }
            }
            notices.append(.returnedToQueue(id, contactID, from: agent))
            returnToLine(contactID, LineID(queue: queue, channel: conversation.channel))
        }
    }

    /// Hands every pending message of the agent's queues to the agent.
    mutating func deliverMessages(to agent: AgentID) {
        for queue in agents[agent.index].skills {
            while let id = mailboxes[queue.index].popFirst() {
                pendingMessages -= 1
                deliverMessage(id, to: agent)
            }
        }
    }

    mutating func deliverMessage(_ id: ContactID, to agent: AgentID) {

        let now = self.now
        modifyContact(id) { $0.assignedAt = now }
        notices.append(.messageDelivered(id, to: agent))
        finishContact(id, .messageDelivered(agent))
    }
}
