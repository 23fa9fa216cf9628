import ChatCore
import ChatProtocol

// The center's decisions (`Notice`) turned into transcript events and wire messages
// for the people concerned (protocol/README.md, "Server → client"). Domain thread only.

extension ServiceDesk {
    /// `writer`: this node writes the conversation events the decisions make (always on
    /// one node; in a cluster, the node whose command it was — the others hear them).
    func apply(_ notices: [Notice]?, writer: Bool = true) {
        guard let notices else { return }
        stats.observe(notices, in: center)
        for notice in notices {
            apply(notice, writer: writer)
        }
        if !notices.isEmpty { snapshotDirty = true }
    }

    private func apply(_ notice: Notice, writer: Bool) {
        switch notice {
        case .faqSuggested(let contact, let matches):
            guard !matches.isEmpty, let to = customerConnection(of: contact) else { return }
            send(.faqSuggestions(FAQSuggestions(matches)), to: to)
        case .leaveMessageOffered(let contact, let reason):
            contactOwners[contact]?.leaveMessageReason = reason
            guard let to = customerConnection(of: contact) else { return }
            send(.leaveMessageOffered(leaveMessageOffer(reason)), to: to)
        case .queued(let contact, let line, let place):
            guard let owner = contactOwners[contact], owner.contact == contact else { return }
            owner.place = place
            guard let to = owner.connection else { return }
            let now = self.now
            if case .waiting? = center.contact(contact)?.state {
                tellPlace(owner, contact: contact, place: place, estimate: estimate(place: place, in: line, at: now),
                          first: true, atEnqueue: true, queue: key(of: line.queue), on: to, at: now)
            } else {
                // Taken by an agent in the same instant: no wait to predict (and no
                // estimate to count in the error).
                send(.queued(Queued(queue: key(of: line.queue), place: place, estimatedWaitMs: 0)), to: to)
            }
        case .lineChanged:
            break  // Places are pushed from the tick, at most once a second.
        case .messageStored(let contact):
            guard let to = customerConnection(of: contact) else { return }
            send(.messageStored(MessageStored(ts: nowTS)), to: to)
        case .offered(let offer):
            guard let to = agentConnection(of: offer.agent) else { return }
            send(.offer(wireOffer(offer)), to: to)
        case .offerWithdrawn(let offer, let reason):
            guard let to = agentConnection(of: offer.agent) else { return }
            send(.offerWithdrawn(OfferWithdrawn(offer: WireID.offer(offer.id), reason: ChatProtocol.OfferEndReason(reason))), to: to)
        case .messageDelivered(let contactID, let agent):
            guard let to = agentConnection(of: agent), let contact = center.contact(contactID) else { return }
            let text = contact.message ?? contact.preChat.firstMessage
            send(.leftMessage(LeftMessage(contact: WireID.contact(contactID), queue: key(of: contact.queue),
                                          text: text.isEmpty ? " " : text, replyTo: replyTo[contactID] ?? contact.replyTo,
                                          leftAt: leftAt[contactID] ?? ts(contact.enqueuedAt ?? contact.arrivedAt),
                                          customer: CustomerCard(contact),
                                          record: leftMessageKeys[contactID].map(LeftMessageRecords.wireID))),
                 to: to)
            leftMessageHandedOver(contactID, to: agent)
        case .assigned(let conversation, let contact, let agent):
            assigned(conversation, contact: contact, agent: agent, writer: writer)
        case .transferred(let conversation, let contact, let from, let target):
            let destination: Transferred.Destination
            switch target {
            case .queue(let queue): destination = .queue(key(of: queue))
            case .agent(let agent): destination = .agent(name: center.agent(agent)?.displayName ?? "")
            }
            let fromName = name(of: from)
            publish(conversation, to: Recipients(customer: contact, agents: [from]), writer: writer) { wire, seq, ts in
                .transferred(Transferred(conversation: wire, seq: seq, ts: ts, reason: .requested,
                                         fromAgentName: fromName, to: destination))
            }
        case .returnedToQueue(let conversation, let contact, let from):
            let queue = key(of: center.contact(contact)?.currentQueue ?? QueueID(0))
            let fromName = name(of: from)
            publish(conversation, to: Recipients(customer: contact, agents: [from]), writer: writer) { wire, seq, ts in
                .transferred(Transferred(conversation: wire, seq: seq, ts: ts, reason: .agentLeft,
                                         fromAgentName: fromName, to: .queue(queue)))
            }
        case .conversationEnded(let conversation, let contact, let agent, let reason):
            publish(conversation, to: Recipients(customer: contact, agents: [agent]), writer: writer, { wire, seq, ts in
                .ended(ConversationEnded(conversation: wire, seq: seq, ts: ts, reason: ChatProtocol.ConversationEndReason(reason)))
            }, done: { [self] publication in
                // A cluster: Redis keeps an ended conversation a day (ConversationRelay.retire).
                if case .stored = publication { relay?.retire(wire(conversation)) }
            })
            conversationEnded(conversation)
        case .answered:
            break  // Only the statistics care (observed in `apply`).
        case .agentStatusChanged(let agent, _):
            broadcastPresence(of: agent)
        case .contactFinished(let contact):
            replyTo[contact] = nil
            if let owner = contactOwners[contact], owner.contact != contact { contactOwners[contact] = nil }
        case .rated(let conversation, let rating):
            publish(conversation, to: Recipients(agents: [center.conversation(conversation)?.agents.last]), writer: writer) { wire, seq, ts in
                .rated(Rated(conversation: wire, seq: seq, ts: ts, score: rating.score, comment: rating.comment))
            }
        }
    }

    /// A conversation taken by an agent: on its first assignment the pre-chat message
    /// becomes event 1; `agent_joined` follows. The agent gets `assigned` (with the
    /// newest seq, so it can fetch what came before) and, like the customer, the new
    /// events live.
    private func assigned(_ conversation: ConversationID, contact contactID: ContactID, agent: AgentID, writer: Bool) {
        guard let contact = center.contact(contactID) else { return }
        if let owner = contactOwners[contactID] {
            owner.conversation = conversation
            if owner.conversations.last != conversation { owner.conversations.append(conversation) }
            owner.place = nil
        }
        if relay != nil {
            clusterAssigned(conversation, contact: contact, agent: agent, writer: writer)
            return
        }
        var fresh: [RecordedEvent] = []
        if transcripts.lastSeq(of: conversation) == 0, !contact.preChat.firstMessage.isEmpty {
            let text = contact.preChat.firstMessage
            fresh.append(record(conversation, at: contact.arrivedAt) { wire, seq, ts in
                .message(ChatMessage(conversation: wire, seq: seq, ts: ts, from: .customer, text: text))
            })
        }
        let agentName = name(of: agent)
        fresh.append(record(conversation) { wire, seq, ts in
            .agentJoined(AgentJoined(conversation: wire, seq: seq, ts: ts, agentName: agentName))
        })
        if let to = agentConnection(of: agent) {
            sendAssigned(conversation, to: to)
            for event in fresh { deliver(event, to: to) }
        }
        if let to = customerConnection(of: contactID) {
            for event in fresh { deliver(event, to: to) }
        }
    }

    /// A cluster's `assigned`: the writer writes the events (the pre-chat message on the
    /// first assignment, `agent_joined`); every node tells its own parties and follows
    /// the conversation where one of them is connected, hearing the events from Redis.
    private func clusterAssigned(_ conversation: ConversationID, contact: Contact, agent: AgentID, writer: Bool) {
        if let owner = contactOwners[contact.id], owner.connection != nil {
            follow(conversation)
            share(owner)
        }
        if let to = agentConnection(of: agent) { sendAssigned(conversation, to: to) }
        // Not the writer: `publish` only notes the events, to check for them later.
        let parties = Recipients(customer: contact.id, agents: [agent])
        if center.conversation(conversation)?.laterAgents.isEmpty ?? true, !contact.preChat.firstMessage.isEmpty {
            let text = contact.preChat.firstMessage
            publish(conversation, at: contact.arrivedAt, to: parties, writer: writer) { wire, seq, ts in
                .message(ChatMessage(conversation: wire, seq: seq, ts: ts, from: .customer, text: text))
            }
        }
        let agentName = name(of: agent)
        publish(conversation, to: parties, writer: writer) { wire, seq, ts in
            .agentJoined(AgentJoined(conversation: wire, seq: seq, ts: ts, agentName: agentName))
        }
    }

    func sendAssigned(_ conversationID: ConversationID, to connection: ConnectionID) {
        follow(conversationID)
        guard let conversation = center.conversation(conversationID), let contact = center.contact(conversation.contact) else { return }
        send(.assigned(Assigned(conversation: wire(conversationID), queue: key(of: contact.currentQueue),
                                channel: ChatProtocol.Channel(conversation.channel), customer: CustomerCard(contact),
                                startedAt: ts(conversation.startedAt), lastSeq: transcripts.lastSeq(of: conversationID))),
             to: connection)
    }

    func wireOffer(_ offer: ChatCore.Offer) -> OfferedContact {
        let contact = center.contact(offer.contact)
        let waited = contact.flatMap { $0.enqueuedAt }.map { max(0, now.milliseconds - $0.milliseconds) }
        return OfferedContact(offer: WireID.offer(offer.id), queue: key(of: offer.line.queue),
                                  channel: ChatProtocol.Channel(offer.line.channel), expiresAt: ts(offer.expiresAt),
                                  waitedMs: waited, customer: contact.map(CustomerCard.init) ?? CustomerCard(language: .ko))
    }

    func key(of queue: QueueID) -> String {
        let index = Int(queue.rawValue)
        return center.queues.indices.contains(index) ? center.queues[index].key : "unknown"
    }

    func name(of agent: AgentID) -> String { center.agent(agent)?.displayName ?? "" }
}
