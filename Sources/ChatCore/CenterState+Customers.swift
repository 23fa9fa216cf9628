// Commands that come from customers (through the chat widget or the phone gateway).

extension CenterState {
    /// See `ContactCenter.customerArrives`.
    mutating func customerArrives(_ request: ContactRequest) throws(ChatError) -> (contact: ContactID, notices: [Notice]) {
        guard knows(request.queue) else { throw .unknownQueue }
        switch request.channel {
        case .faq:
            throw .invalidChannel
        case .email:
            try checkMessage(request.preChat.firstMessage)
            let id = makeContact(request)
            storeMessage(id, request.preChat.firstMessage)
            return (id, finish())
        case .chat, .voice:
            let suggestions = request.channel == .chat && !faq.isEmpty
                ? faq.matches(for: request.preChat.firstMessage, language: request.language) : []
            if suggestions.isEmpty { try checkRoom(request.queue) }
            let id = makeContact(request)
            if suggestions.isEmpty {
                admit(id)
            } else {
                modifyContact(id) { $0.faqSuggestions = suggestions }
                notices.append(.faqSuggested(id, suggestions))
            }
            return (id, finish())
        }
    }

    /// See `ContactCenter.resolveWithFAQ`.
    mutating func resolveWithFAQ(_ id: ContactID, entryID: String? = nil) throws(ChatError) -> [Notice] {
        guard let c = contacts[id] else { throw .unknownContact }
        guard c.state == .consultingFAQ else { throw .invalidState("no FAQ answers are open for this contact") }
        counters[c.queue.index].deflected += 1
        modifyContact(id) { c in
            c.channel = .faq
            c.deflectedBy = entryID ?? c.faqSuggestions.first?.entryID
        }
        finishContact(id, .deflected)
        return finish()
    }

    /// See `ContactCenter.continueAfterFAQ`.
    mutating func continueAfterFAQ(_ id: ContactID) throws(ChatError) -> [Notice] {
        guard let c = contacts[id] else { throw .unknownContact }
        guard c.state == .consultingFAQ else { throw .invalidState("no FAQ answers are open for this contact") }
        try checkRoom(c.queue)
        admit(id)
        return finish()
    }

    /// See `ContactCenter.leaveMessage`.
    mutating func leaveMessage(after id: ContactID, text: String, replyTo: String?) throws(ChatError)
        -> (contact: ContactID, notices: [Notice]) {
        guard let c = contacts[id] else { throw .unknownContact }
        guard c.state == .ended(.abandoned(.closed)) || c.conversation.flatMap({ conversations[$0]?.endReason }) == .closed
        else { throw .invalidState("a message can be left only after being closed out") }
        guard !c.messageLeftAfter else { throw .invalidState("a message was already left") }
        try checkMessage(text)
        let request = ContactRequest(queue: c.currentQueue, channel: .email, language: c.language, preChat: c.preChat)
        let email = makeContact(request)
        modifyContact(id) { $0.messageLeftAfter = true }
        modifyContact(email) { $0.follows = id; $0.replyTo = replyTo }
        storeMessage(email, text)
        return (email, finish())
    }

    /// See `ContactCenter.restoreMessage`.
    mutating func restoreMessage(_ request: ContactRequest, text: String) -> (contact: ContactID, notices: [Notice]) {
        var email = request
        email.channel = .email
        // Never refused, so never out of range either: a queue this configuration does
        // not have goes to the first queue, as the glue does with a record whose queue
        // is gone. (Indexing with it would trap, and a logged command that traps would
        // stop every replica that applies it.)
        if !knows(email.queue) { email.queue = QueueID(0) }
        let id = makeContact(email)
        storeMessage(id, text)
        return (id, finish())
    }

    /// See `ContactCenter.customerLeaves`.
    mutating func customerLeaves(_ id: ContactID) throws(ChatError) -> [Notice] {
        guard contacts[id] != nil else { throw .unknownContact }
        end(id, abandon: .left, conversationReason: .customerLeft, offerReason: .customerLeft)
        return finish()
    }

    /// See `ContactCenter.customerDisconnected`.
    mutating func customerDisconnected(_ id: ContactID) throws(ChatError) -> [Notice] {
        let now = self.now
        guard let c = contacts[id] else { throw .unknownContact }
        guard c.disconnectedAt == nil, !c.isEnded, c.state != .messagePending else { return finish() }
        let generation = modifyContact(id) { c in
            c.disconnectedAt = now
            c.disconnectGeneration &+= 1
            return c.disconnectGeneration
        }
        syncBlocked(id)
        deadlines.schedule(.customerGraceEnds(id, generation: generation),
                           at: now.advanced(by: configuration.customerGracePeriod))
        return finish()
    }

    /// See `ContactCenter.customerReconnected`.
    mutating func customerReconnected(_ id: ContactID) throws(ChatError) -> [Notice] {
        guard let c = contacts[id] else { throw .unknownContact }
        guard !c.isEnded else { throw .invalidState("the contact has ended") }
        guard c.disconnectedAt != nil else { return finish() }
        modifyContact(id) { $0.disconnectedAt = nil }
        syncBlocked(id)
        if case .waiting = c.state { routableContacts.append(id) }
        return finish()
    }

    /// See `ContactCenter.rate`.
    mutating func rate(_ conversationID: ConversationID, by contact: ContactID, score: Int, comment: String? = nil) throws(ChatError) -> [Notice] {
        guard let conversation = conversations[conversationID], conversation.contact == contact else {
            throw .unknownConversation
        }
        guard Rating.scores.contains(score) else { throw .invalidRating }
        guard conversation.isEnded else { throw .conversationOpen }
        guard conversation.rating == nil else { throw .alreadyRated }
        let trimmed = comment.flatMap { $0.isEmpty ? nil : $0 }
        if let trimmed, trimmed.count > configuration.maxCommentLength { throw .commentTooLong }
        let rating = Rating(score: score, comment: trimmed, at: now)
        conversations[live: conversationID].rating = rating  // Looked up above.
        notices.append(.rated(conversationID, rating))
        return finish()
    }

    // MARK: - Steps

    mutating func makeContact(_ request: ContactRequest) -> ContactID {
        let ticket = nextTicket
        nextTicket &+= 1
        let at = now
        return contacts.insert { id in
            var contact = Contact(id: id, request: request, at: at)
            contact.orderKey = ticket
            return contact
        }
    }

    mutating func checkRoom(_ queue: QueueID) throws(ChatError) {
        // Arrivals that will be closed out need no room.
        guard isOpen, agentsOnDuty[queue.index] > 0 else { return }
        if waitingCount[queue.index] >= configuration.queues[queue.index].maxWaiting {
            counters[queue.index].rejectedFull += 1
            throw .queueFull
        }
    }

    func checkMessage(_ text: String) throws(ChatError) {
        guard text.contains(where: { !$0.isWhitespace }) else { throw .emptyMessage }
        guard text.count <= configuration.maxMessageLength else { throw .messageTooLong }
        guard pendingMessages < configuration.maxPendingMessages else { throw .mailboxFull }
    }

    /// A live contact asks for a line: queued, or closed out.
    mutating func admit(_ id: ContactID) {
        let queue = contacts[live: id].currentQueue  // Callers pass a contact they just made or looked up.
        let line = LineID(queue: queue, channel: contacts[live: id].channel)
        if !isOpen {
            closeOut(id, .closed)
        } else if agentsOnDuty[queue.index] == 0 {
            closeOut(id, .unattended)
        } else {
            let place = putInLine(id, line)
            notices.append(.queued(id, line, place: place))
        }
    }

    /// Stores a left message, or hands it straight to an available agent of its queue.
    mutating func storeMessage(_ id: ContactID, _ text: String) {
        let now = self.now
        let queue = contacts[live: id].currentQueue  // Callers pass a contact they just made.
        modifyContact(id) { c in
            c.message = text
            c.enqueuedAt = now
            c.state = .messagePending
        }
        counters[queue.index].messagesLeft += 1
        notices.append(.messageStored(id))
        // Rare: a plain scan for the available agent with the most room.
        var best: AgentID?
        for agent in agents where agent.isRoutable && agent.serves(queue) {
            if let b = best, !agent.isBetterChoice(than: agents[b.index]) { continue }
            best = agent.id
        }
        if let best {
            deliverMessage(id, to: best)
        } else {
            mailboxes[queue.index].append(id)
            pendingMessages += 1
        }
    }

    /// Ends a contact wherever it is: abandoned with `abandon` if no agent has answered
    /// it, otherwise its conversation ends with `conversationReason`.
    mutating func end(_ id: ContactID, abandon: AbandonReason, conversationReason: ConversationEndReason, offerReason: OfferEndReason) {
        guard let c = contacts[id], !c.isEnded, c.state != .messagePending else { return }
        detach(id, offerReason: offerReason)
        if let conversation = c.conversation {
            endConversation(conversation, conversationReason)
        } else {
            finishContact(id, .abandoned(abandon))
        }
    }

    /// Copies `Contact.isBlocked` into its line entry, if it is waiting.
    mutating func syncBlocked(_ id: ContactID) {
        guard let c = contacts[id], case .waiting(let line) = c.state else { return }
        lines[line.index].setBlocked(key: c.orderKey, c.isBlocked)
    }
}
