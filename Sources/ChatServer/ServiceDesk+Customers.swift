import ChatCore
import ChatProtocol

// What customers ask on /v1/ws/customer (protocol/README.md, "Customer → server").
// Domain thread only.

extension ServiceDesk {
    func customer(_ message: CustomerMessage, on connection: ConnectionID) {
        if case .hello(let hello) = message {
            customerHello(hello, on: connection)
            return
        }
        guard case .customer(let session)? = bindings[connection] else {
            notAuthenticated(connection, id: message.id)
            return
        }
        let (message, found) = masked(message)
        // Told before the answer to the request, so the notice always comes first.
        if !found.isEmpty { tellMasked(found, to: session, on: connection) }
        switch message {
        case .hello: break
        case .startChat(let r): startChat(r, session, connection)
        case .faqResolved(let r):
            contactCommand(r.id, session, connection) { .resolveWithFAQ($0, entryID: r.entry) }
        case .faqContinue(let r):
            contactCommand(r.id, session, connection) { .continueAfterFAQ($0) }
        case .leaveMessage(let r): leaveMessage(r, session, connection)
        case .send(let r): customerSend(r, session, connection, masked: !found.isEmpty)
        case .typing(let r):
            guard let conversation = openConversation(of: session, id: r.id, on: connection) else { return }
            ack(r.id, on: connection)
            tell(.typing(Typing(conversation: wire(conversation), from: .customer, active: r.active)), in: conversation,
                 to: Recipients(agents: [center.conversation(conversation)?.agent]))
        case .receipt(let r):
            guard let conversation = session.conversation else {
                fail(connection, id: r.id, .invalidState, "Not possible now: no conversation yet.")
                return
            }
            receipt(in: conversation, from: .customer, kind: r.kind, seq: r.seq, id: r.id, on: connection,
                    to: Recipients(agents: [center.conversation(conversation)?.agent]))
        case .end(let r):
            if let contact = session.contact, let c = center.contact(contact), !c.isEnded {
                contactCommand(r.id, session, connection) { .customerLeaves($0) }
            } else {
                ack(r.id, on: connection)
            }
        case .rate(let r):
            guard let conversation = session.conversation, let contact = session.contact else {
                fail(connection, id: r.id, .invalidState, "Not possible now: no conversation to rate.")
                return
            }
            request(.rate(conversation, by: contact, score: r.score, comment: r.comment), id: r.id, on: connection,
                    field: { $0 == .commentTooLong ? "comment" : nil })
        case .fetchHistory(let r):
            guard let conversation = session.conversation else {
                fail(connection, id: r.id, .invalidState, "Not possible now: no conversation yet.")
                return
            }
            fetchHistory(of: transcripts.key(conversation), after: r.afterSeq ?? 0, id: r.id, on: connection)
        }
    }

    /// A new session, or the resumption of one within its grace period.
    private func customerHello(_ hello: CustomerHello, on connection: ConnectionID) {
        guard bindings[connection] == nil else {
            fail(connection, id: hello.id, .invalidState, "Not possible now: this connection has already said hello.")
            return
        }
        guard let token = hello.session else {
            guard sessions.count < limits.maxSessions else {
                fail(connection, id: hello.id, .rateLimited, "The broker holds too many sessions; try again later.")
                return
            }
            let session = CustomerSession(token: SessionToken.make(), language: hello.language.map(ChatCore.Language.init) ?? .ko)
            sessions[session.token] = session
            bind(session, to: connection)
            send(welcome(role: .customer, session: session.token, resumed: false, language: session.language), to: connection)
            return
        }
        if let session = sessions[token], !isExpired(session) {
            resume(session, hello, on: connection)
        } else if let shared = sharedSessions {
            // Perhaps a session of another node (the widget came back through the load balancer).
            lookingUp.insert(connection)
            shared.load(token) { [self] found in
                guard lookingUp.remove(connection) != nil, bindings[connection] == nil else { return }
                switch found {
                case .failure:
                    // Not "unknown": the session may well exist. The client comes back shortly.
                    fail(connection, id: hello.id, .unavailable,
                         "The session cannot be looked up just now (this node's link to Redis is down); connect again shortly.",
                         close: .unavailable)
                case .success(let record?):
                    guard let session = takeOver(token, record) else {
                        // Perhaps this node has not read that far in the log yet: wait a little.
                        lookingUp.insert(connection)
                        awaitingContacts.append((hello, token, record, connection, now.advanced(by: Self.contactWait)))
                        return
                    }
                    resume(session, hello, on: connection)
                case .success(nil):
                    unknownSession(hello, on: connection)
                }
            }
        } else {
            unknownSession(hello, on: connection)
        }
    }

    /// How long a node waits for its replica to learn a shared session's contact.
    static let contactWait = Duration.milliseconds(3_000)

    /// Each tick: the sessions waiting for this node to learn their contact.
    func retryTakeOvers() {
        guard !awaitingContacts.isEmpty else { return }
        let waiting = awaitingContacts
        awaitingContacts = []
        for item in waiting where lookingUp.contains(item.connection) {
            if let session = takeOver(item.token, item.record) {
                lookingUp.remove(item.connection)
                resume(session, item.hello, on: item.connection)
            } else if now >= item.until {
                lookingUp.remove(item.connection)
                unknownSession(item.hello, on: item.connection)
            } else {
                awaitingContacts.append(item)
            }
        }
    }

    private func unknownSession(_ hello: CustomerHello, on connection: ConnectionID) {
        fail(connection, id: hello.id, .unknownSession,
             "The session is unknown or has expired; start a new one with a hello without 'session'.", field: "session")
    }

    private func resume(_ session: CustomerSession, _ hello: CustomerHello, on connection: ConnectionID) {
        if let old = session.connection {
            bindings[old] = nil
            fail(old, id: nil, .sessionReplaced, "This session was opened on another connection.", close: .sessionReplaced)
        }
        if let language = hello.language { session.language = ChatCore.Language(language) }
        bind(session, to: connection)
        // Welcomed at once: in a cluster the reconnect below goes through the log, and
        // the tick may tell the bound connection its place in line meanwhile.
        send(welcome(role: .customer, session: session.token, resumed: true, language: session.language), to: connection)
        let resume = { [self] (notices: [Notice]) in
            resendState(of: session, lastSeq: hello.lastSeq, to: connection)
            apply(notices)
        }
        if let contact = session.contact, let c = center.contact(contact), !c.isEnded,
           c.disconnectedAt != nil || commands.customerIsElsewhere(contact) {
            perform(.customerReconnected(contact)) { resume($0.notices) }
        } else {
            resume([])
        }
    }

    /// A cluster: this node takes over a session another node wrote (SharedSessions),
    /// while its contact is still one the centre knows.
    func takeOver(_ token: String, _ record: SharedSessions.Record) -> CustomerSession? {
        var contact = record.contact
        if let id = contact, center.contact(id) == nil {
            // Finished and forgotten: the session lives on (to rate, to start again) with
            // no contact. Otherwise this replica has not read that far in the log yet.
            guard center.hasForgotten(id) else { return nil }
            contact = nil
        }
        let session = sessions[token] ?? CustomerSession(token: token, language: record.language)
        session.disconnectedAt = nil
        session.contact = contact
        session.conversations = record.conversations
        // A finished contact's last conversation stays the session's, as on one node: a
        // resume gets its history (its end included).
        let finished = contact == nil && record.contact != nil
        session.conversation = record.conversations.last.flatMap { last in
            finished || center.conversation(last)?.contact == record.contact ? last : nil
        }
        // The record may be older than the contact's conversation: it was assigned while
        // the customer was between nodes, and no node had her to write it down. The centre
        // knows (found by loadtest/chaos.py: such a shopper was told an agent joined, then
        // refused every message as "no agent has joined yet").
        if let id = contact, let current = center.contact(id)?.conversation {
            session.conversation = current
            if !session.conversations.contains(current) { session.conversations.append(current) }
        }
        sessions[token] = session
        if let contact { contactOwners[contact] = session }
        return session
    }

    /// A cluster: writes what the session is about, so another node can take it over.
    func share(_ session: CustomerSession) {
        sharedSessions?.save(session.token, SharedSessions.Record(language: session.language, contact: session.contact,
                                                                  conversations: session.conversations))
    }

    private func bind(_ session: CustomerSession, to connection: ConnectionID) {
        session.connection = connection
        session.disconnectedAt = nil
        bindings[connection] = .customer(session)
    }

    func isExpired(_ session: CustomerSession) -> Bool {
        guard let since = session.disconnectedAt else { return false }
        return since.advanced(by: center.configuration.customerGracePeriod) <= now
    }

    /// After a resume: what describes where the contact is, then the missed events.
    private func resendState(of session: CustomerSession, lastSeq: Int64?, to connection: ConnectionID) {
        if let id = session.contact, let contact = center.contact(id) {
            switch contact.state {
            case .consultingFAQ:
                send(.faqSuggestions(FAQSuggestions(contact.faqSuggestions)), to: connection)
            case .waiting(let line):
                let place = center.placeInLine(of: id) ?? 1
                tellPlace(session, contact: id, place: place, estimate: estimate(place: place, in: line, at: now),
                          first: true, queue: key(of: line.queue), on: connection, at: now)
            case .offered:
                send(.queued(Queued(queue: center.queues[Int(contact.currentQueue.rawValue)].key, place: 1)), to: connection)
            case .ended, .inConversation, .messagePending:
                if let reason = session.leaveMessageReason {
                    send(.leaveMessageOffered(leaveMessageOffer(reason)), to: connection)
                }
            }
        }
        if let conversation = session.conversation {
            // Counted against the history budget, never refused: the client must see what it missed.
            let sendMissed = { [self] in
                budgets.spentOnHistory(sendHistory(of: conversation, after: lastSeq ?? 0, to: connection),
                                       by: .session(token: session.token), now: budgetClock)
            }
            guard let relay else { return sendMissed() }
            // A cluster: once this node holds what Redis has of the conversation.
            relay.follow(wire(conversation)) { [weak session] in
                guard let session, session.connection == connection else { return }
                sendMissed()
            }
        }
    }

    private func startChat(_ r: StartChat, _ session: CustomerSession, _ connection: ConnectionID) {
        if let id = session.contact, let contact = center.contact(id), !contact.isEnded {
            fail(connection, id: r.id, .invalidState, "Not possible now: a contact is active; end it first.")
            return
        }
        guard let queue = center.queueID(forKey: r.queue) else {
            fail(connection, id: r.id, .unknownQueue, ChatError.unknownQueue.message, field: "queue")
            return
        }
        if let text = r.firstMessage, !text.hasAtMostScalars(center.configuration.maxMessageLength) {
            fail(connection, id: r.id, .messageTooLong, ChatError.messageTooLong.message, field: "first_message")
            return
        }
        let preChat = PreChat(customerName: r.name ?? "", orderNumber: r.orderNumber ?? "", product: r.product ?? "",
                              firstMessage: r.firstMessage ?? "")
        let request = ContactRequest(queue: queue, channel: r.channel == .voice ? .voice : .chat, language: session.language,
                                     preChat: preChat)
        self.request(.customerArrives(request), id: r.id, on: connection, then: { [self] created in
            guard case .contact(let contact)? = created else { return }
            if let previous = session.contact { contactOwners[previous] = nil }
            session.contact = contact
            session.conversation = nil
            session.leaveMessageReason = nil
            session.place = nil
            contactOwners[contact] = session
            share(session)
        })
    }

    /// A command on the session's current contact: ack, then what it caused.
    private func contactCommand(_ id: String?, _ session: CustomerSession, _ connection: ConnectionID,
                                _ command: (ContactID) -> CenterCommand) {
        guard let contact = session.contact else {
            fail(connection, id: id, .invalidState, "Not possible now: no contact; start a chat first.")
            return
        }
        request(command(contact), id: id, on: connection)
    }

    private func leaveMessage(_ r: LeaveMessage, _ session: CustomerSession, _ connection: ConnectionID) {
        guard let contact = session.contact else {
            fail(connection, id: r.id, .invalidState, "Not possible now: leaving a message follows leave_message_offered.")
            return
        }
        // The message becomes a record before anything else: refused like a chat message
        // while the store is behind or failing, so the widget can send it again.
        guard transcripts.accepts(from: .session(token: session.token)) else {
            storageBehind(connection, id: r.id)
            return
        }
        // Where to answer travels with the command: in a cluster the agent who takes
        // the message may be on another node.
        let replyTo = r.replyTo.flatMap { $0.isEmpty ? nil : $0 }
        request(.leaveMessage(after: contact, text: r.text, replyTo: replyTo), id: r.id, on: connection,
                field: { $0 == .messageTooLong ? "text" : nil }, then: { [self] created in
            guard case .contact(let left)? = created else { return }
            session.leaveMessageReason = nil
            contactOwners[left] = session
            if let replyTo { self.replyTo[left] = replyTo }
            // Stored before the customer hears "received": the ack and message_stored
            // below wait for this record (protocol/README.md, "Left messages").
            recordLeftMessage(left, text: r.text, replyTo: self.replyTo[left], requestID: r.id)
            transcripts.charge(.session(token: session.token))
        })
    }

    /// The open conversation of a session, or an `invalid_state` error.
    private func openConversation(of session: CustomerSession, id: String?, on connection: ConnectionID) -> ConversationID? {
        guard let conversation = session.conversation, let c = center.conversation(conversation) else {
            fail(connection, id: id, .invalidState, "Not possible now: no agent has joined yet.")
            return nil
        }
        guard !c.isEnded else {
            fail(connection, id: id, .invalidState, "Not possible now: the conversation has ended.")
            return nil
        }
        return conversation
    }

    /// `masked`: `r.text` is the masked form of what the client sent.
    private func customerSend(_ r: CustomerSend, _ session: CustomerSession, _ connection: ConnectionID, masked: Bool = false) {
        if let conversation = session.conversation,
           let earlier = transcripts.message(in: conversation, clientID: r.id, from: .customer) {
            ack(r.id, on: connection, stored: Ack.Stored(conversation: earlier.conversation, seq: earlier.seq, ts: earlier.ts, duplicate: true))
            return
        }
        guard let conversation = openConversation(of: session, id: r.id, on: connection) else { return }
        guard r.text.hasAtMostScalars(center.configuration.maxMessageLength) else {
            fail(connection, id: r.id, .messageTooLong, ChatError.messageTooLong.message, field: "text")
            return
        }
        guard transcripts.lastSeq(of: conversation) < Int64(limits.maxEventsPerConversation) else {
            fail(connection, id: r.id, .invalidState, "Not possible now: the conversation has reached its length limit.")
            return
        }
        guard transcripts.accepts(from: .session(token: session.token)) else {
            storageBehind(connection, id: r.id)
            return
        }
        if relay != nil {
            // A cluster: stored once Redis has it; the agent's node hears it from there.
            let recipients = Recipients(agents: [center.conversation(conversation)?.agent])
            publish(conversation, clientID: RelayClientID(author: .customer, id: r.id).relayed, to: recipients, { wire, seq, ts in
                .message(ChatMessage(conversation: wire, seq: seq, ts: ts, from: .customer, text: r.text, clientID: r.id))
            }, done: { [self] publication in
                acknowledge(publication, id: r.id, on: connection, text: masked ? r.text : nil)
            })
            return
        }
        let event = record(conversation) { wire, seq, ts in
            .message(ChatMessage(conversation: wire, seq: seq, ts: ts, from: .customer, text: r.text, clientID: r.id))
        }
        transcripts.charge(.session(token: session.token))
        // A masked text goes back in the ack, so the customer's screen (and the widget's
        // saved state) hold only the stored form too.
        let maskedText = masked ? r.text : nil
        ack(r.id, on: connection, stored: Ack.Stored(conversation: event.conversation, seq: event.seq, ts: event.ts, text: maskedText))
        deliver(event, to: agentConnection(of: center.conversation(conversation)?.agent))
        metrics.messagesRelayed.add(1, ordering: .relaxed)
    }

    /// The ack of a client's message written through the relay (cluster): its stored
    /// place, the earlier one for a repeat, or `unavailable` when Redis could not take it.
    func acknowledge(_ publication: Publication, id: String?, on connection: ConnectionID, text: String? = nil) {
        switch publication {
        case .stored(let event):
            ack(id, on: connection, stored: Ack.Stored(conversation: event.conversation, seq: event.seq, ts: event.ts, text: text))
            metrics.messagesRelayed.add(1, ordering: .relaxed)
        case .duplicate(let conversation, let seq, let ts):
            ack(id, on: connection, stored: Ack.Stored(conversation: conversation, seq: seq, ts: ts, duplicate: true))
        case .failed:
            fail(connection, id: id, .unavailable, "The message could not be stored (the link to Redis is down); send it again shortly.")
        }
    }

    func leaveMessageOffer(_ reason: ChatCore.LeaveMessageReason) -> LeaveMessageOffered {
        var opensAt: Int64?
        var zone: String?
        let hours = center.configuration.businessHours
        if reason == .closed, let next = hours.nextChange(after: wallNow) {
            opensAt = next.millisecondsSince1970
            zone = hours.timeZone.identifier  // the widget shows the opening in the centre's zone, named
        }
        return LeaveMessageOffered(reason: ChatProtocol.LeaveMessageReason(reason), opensAt: opensAt, timeZone: zone)
    }
}

extension FAQSuggestions {
    init(_ matches: [FAQMatch]) {
        self.init(suggestions: matches.prefix(ProtocolLimits.maxFAQSuggestions).map {
            FAQSuggestion(entry: $0.entryID, question: $0.question, answer: $0.answer, score: min(1, max(0, $0.score)))
        })
    }
}
