import ChatCore
import ChatProtocol
import ChatStorage

// What agents and supervisors ask on /v1/ws/agent and /v1/ws/supervisor
// (protocol/README.md, "Agent → server", "Supervisor → server"). Domain thread only.

extension ServiceDesk {
    /// The sign-in thread's verdict on a staff `hello`.
    func staffHello(on connection: ConnectionID, role: Role, requestID: String?, identity: StaffIdentity?) {
        defer { delivery.release(connection) }
        switch identity {
        case .agent(let handle)?:
            guard role == .agent, let agentID = center.agentID(forHandle: handle), let agent = center.agent(agentID) else { break }
            if inPenalty(.agent(agentID), id: requestID, on: connection) { return }
            var resumed = false
            if let old = agentConnections[agentID] {
                bindings[old] = nil
                fail(old, id: nil, .sessionReplaced, "This agent signed in on another connection.", close: .sessionReplaced)
                resumed = true
            }
            agentConnections[agentID] = connection
            bindings[connection] = .agent(agentID)
            // What the agent holds as the centre has it now (after the reconnect, if there was one).
            let handOver = { [self] (notices: [Notice]) in
                guard let agent = center.agent(agentID) else { return }
                if resumed {
                    for conversation in agent.conversations { sendAssigned(conversation, to: connection) }
                    for offer in agent.offers.compactMap(center.offer) { send(.offer(wireOffer(offer)), to: connection) }
                }
                apply(notices)
                broadcastPresence(of: agentID)
            }
            if agent.droppedAt != nil || (agent.status != .offline && commands.agentIsElsewhere(agentID)) {
                resumed = true
                // Welcomed at once: in a cluster the reconnect goes through the log, and the
                // events of the agent's conversations reach this connection meanwhile; the
                // `welcome` must come first. The `assigned` that follow the reconnect give
                // each conversation's last seq, so nothing heard before them is missed.
                send(welcome(role: .agent, session: nil, resumed: true, language: .ko, agent: profile(of: agent)), to: connection)
                perform(.agentReconnected(agentID)) { handOver($0.notices) }
            } else {
                send(welcome(role: .agent, session: nil, resumed: resumed, language: .ko, agent: profile(of: agent)), to: connection)
                handOver([])
            }
            return
        case .supervisor(let login, _)?:
            guard role == .supervisor else { break }
            if inPenalty(.supervisor(login: login), id: requestID, on: connection) { return }
            supervisors[connection] = login
            bindings[connection] = .supervisor(login: login)
            send(welcome(role: .supervisor, session: nil, resumed: false, language: .ko), to: connection)
            send(.snapshot(snapshot()), to: connection)
            return
        case nil:
            break
        }
        fail(connection, id: requestID, .authenticationFailed, "The login, secret or token is not right.",
             close: .authenticationFailed)
    }

    func agent(_ message: AgentMessage, on connection: ConnectionID) {
        guard case .agent(let me)? = bindings[connection] else {
            notAuthenticated(connection, id: message.id)
            return
        }
        let message = masked(message)
        do throws(ChatError) {
            switch message {
            case .hello(let r):
                fail(connection, id: r.id, .invalidState, "Not possible now: this connection has already said hello.")
            case .setStatus(let r):
                perform(.setStatus(me, ChatCore.AgentStatus(r.status))) { [self] outcome in
                    if let error = outcome.error {
                        fail(connection, id: r.id, error, field: Self.field(of: error))
                        return
                    }
                    let notices = outcome.notices
                    ack(r.id, on: connection)
                    apply(notices)
                    if !notices.contains(where: { if case .agentStatusChanged(me, _) = $0 { true } else { false } }),
                       let agent = center.agent(me) {
                        send(.presence(Presence(agent: AgentState(agent, connected: true))), to: connection)
                    }
                }
            case .accept(let r):
                guard let offer = WireID.offer(r.offer) else { throw .unknownOffer }
                request(.acceptOffer(offer, by: me), id: r.id, on: connection, field: Self.field(of:))
            case .decline(let r):
                guard let offer = WireID.offer(r.offer) else { throw .unknownOffer }
                request(.declineOffer(offer, by: me), id: r.id, on: connection, field: Self.field(of:))
            case .send(let r):
                try agentSend(r, by: me, on: connection)
            case .typing(let r):
                let conversation = try held(r.conversation, by: me)
                ack(r.id, on: connection)
                tell(.typing(Typing(conversation: r.conversation, from: .agent, active: r.active)), in: conversation,
                     to: Recipients(customer: center.conversation(conversation)?.contact))
            case .receipt(let r):
                let conversation = try held(r.conversation, by: me)
                receipt(in: conversation, from: .agent, kind: r.kind, seq: r.seq, id: r.id, on: connection,
                        to: Recipients(customer: center.conversation(conversation)?.contact))
            case .transfer(let r):
                let conversation = try conversationID(r.conversation)
                let target: TransferTarget
                switch r.target {
                case .queue(let key):
                    guard let queue = center.queueID(forKey: key) else { throw .unknownQueue }
                    target = .queue(queue)
                case .agent(let handle):
                    guard let agent = center.agentID(forHandle: handle) else { throw .unknownAgent }
                    target = .agent(agent)
                }
                request(.transfer(conversation, to: target, by: me), id: r.id, on: connection, field: Self.field(of:))
            case .end(let r):
                request(.endConversation(try conversationID(r.conversation), by: me), id: r.id, on: connection, field: Self.field(of:))
            case .fetchHistory(let r):
                let conversation = try conversationID(r.conversation)
                guard let c = center.conversation(conversation) else { throw .unknownConversation }
                let offered = center.agent(me)?.offers.contains { center.offer($0)?.contact == c.contact } ?? false
                guard c.agent == me || offered else { throw .notAssigned }
                fetchHistory(of: transcripts.key(conversation), after: r.afterSeq ?? 0, id: r.id, on: connection)
            }
        } catch {
            fail(connection, id: message.id, error, field: Self.field(of: error))
        }
    }

    func supervisor(_ message: SupervisorMessage, on connection: ConnectionID) {
        guard case .supervisor? = bindings[connection] else {
            notAuthenticated(connection, id: message.id)
            return
        }
        switch message {
        case .hello(let r):
            fail(connection, id: r.id, .invalidState, "Not possible now: this connection has already said hello.")
        case .getSnapshot(let r):
            send(.snapshot(snapshot()), to: connection)
            ack(r.id, on: connection)
        case .fetchHistory(let r):
            guard let conversation = WireID.conversation(r.conversation),
                  live(conversation).flatMap({ center.conversation($0) }) != nil || transcripts.lastSeq(of: conversation) > 0 else {
                fail(connection, id: r.id, .unknownConversation, ChatError.unknownConversation.message, field: "conversation")
                return
            }
            fetchHistory(of: conversation, after: r.afterSeq ?? 0, id: r.id, on: connection)
        }
    }

    private func agentSend(_ r: AgentSend, by me: AgentID, on connection: ConnectionID) throws(ChatError) {
        let conversation = try held(r.conversation, by: me)
        if let earlier = transcripts.message(in: conversation, clientID: r.id, from: .agent) {
            ack(r.id, on: connection, stored: Ack.Stored(conversation: earlier.conversation, seq: earlier.seq, ts: earlier.ts, duplicate: true))
            return
        }
        guard r.text.hasAtMostScalars(center.configuration.maxMessageLength) else { throw .messageTooLong }
        guard transcripts.lastSeq(of: conversation) < Int64(limits.maxEventsPerConversation) else {
            throw .invalidState("the conversation has reached its length limit")
        }
        guard transcripts.accepts(from: .agent(me)) else {
            storageBehind(connection, id: r.id)
            return
        }
        if relay != nil {
            clusterAgentSend(r, in: conversation, by: me, on: connection)
            return
        }
        perform(.agentReplied(in: conversation, by: me)) { [self] outcome in
            if let error = outcome.error {
                fail(connection, id: r.id, error, field: Self.field(of: error))
                return
            }
            let name = center.agent(me)?.displayName ?? ""
            let event = record(conversation) { wire, seq, ts in
                .message(ChatMessage(conversation: wire, seq: seq, ts: ts, from: .agent, agentName: name, text: r.text, clientID: r.id))
            }
            transcripts.charge(.agent(me))
            ack(r.id, on: connection, stored: Ack.Stored(conversation: event.conversation, seq: event.seq, ts: event.ts))
            deliver(event, to: center.conversation(conversation).flatMap { customerConnection(of: $0.contact) })
            metrics.messagesRelayed.add(1, ordering: .relaxed)
            apply(outcome.notices)
        }
    }

    /// A cluster: the first reply goes through the log (it is the centre's "answered");
    /// every message is written to the conversation's stream, off the routing path.
    private func clusterAgentSend(_ r: AgentSend, in conversation: ConversationID, by me: AgentID, on connection: ConnectionID) {
        let write = { [self] in
            let name = center.agent(me)?.displayName ?? ""
            let customer = center.conversation(conversation)?.contact
            publish(conversation, clientID: RelayClientID(author: .agent, id: r.id).relayed, to: Recipients(customer: customer), { wire, seq, ts in
                .message(ChatMessage(conversation: wire, seq: seq, ts: ts, from: .agent, agentName: name, text: r.text, clientID: r.id))
            }, done: { [self] publication in acknowledge(publication, id: r.id, on: connection) })
        }
        if heldReplies[conversation] != nil {
            heldReplies[conversation]!.append { [self] in clusterAgentSend(r, in: conversation, by: me, on: connection) }
            return
        }
        guard center.conversation(conversation)?.firstAgentReplyAt == nil else {
            write()
            return
        }
        heldReplies[conversation] = []
        perform(.agentReplied(in: conversation, by: me)) { [self] outcome in
            let held = heldReplies.removeValue(forKey: conversation) ?? []
            if let error = outcome.error {
                fail(connection, id: r.id, error, field: Self.field(of: error))
            } else {
                write()
                apply(outcome.notices)
            }
            for next in held { next() }
        }
    }

    private func conversationID(_ text: String) throws(ChatError) -> ConversationID {
        guard let key = WireID.conversation(text), let id = live(key) else { throw .unknownConversation }
        return id
    }

    /// A conversation this agent holds now: `unknown_conversation` or `not_assigned` otherwise.
    private func held(_ text: String, by agent: AgentID) throws(ChatError) -> ConversationID {
        let id = try conversationID(text)
        guard let conversation = center.conversation(id) else { throw .unknownConversation }
        guard conversation.agent == agent else { throw .notAssigned }
        return id
    }

    private static func field(of error: ChatError) -> String? {
        switch error {
        case .unknownConversation, .notAssigned: "conversation"
        case .unknownOffer, .notOffered: "offer"
        case .unknownQueue, .topicUnattended, .queueFull: "queue"
        case .unknownAgent, .agentUnavailable: "agent"
        case .messageTooLong: "text"
        default: nil
        }
    }

    func profile(of agent: Agent) -> SignedInAgent {
        SignedInAgent(handle: agent.handle, name: agent.displayName, status: ChatProtocol.AgentStatus(agent.status),
                                  capacity: AgentCapacity(agent.capacity),
                                  queues: agent.skills.map { center.queues[Int($0.rawValue)].key }, cannedReplies: cannedReplies)
    }

    func welcome(role: Role, session: String?, resumed: Bool, language: ChatCore.Language,
                 agent: SignedInAgent? = nil) -> ServerMessage {
        let configuration = center.configuration
        return .welcome(Welcome(
            role: role, session: session, resumed: resumed, ts: nowTS, open: center.isOpen,
            limits: Limits(maxTextLength: configuration.maxMessageLength, maxCommentLength: configuration.maxCommentLength,
                           maxMessagesPerSecond: limits.maxMessagesPerSecond),
            queues: center.queues.map { QueueInfo(key: $0.key, name: language == .en ? $0.englishName : $0.name) },
            agent: agent))
    }

    func broadcastPresence(of id: AgentID) {
        guard let agent = center.agent(id) else { return }
        let bytes = ServerMessage.presence(Presence(agent: AgentState(agent, connected: isConnected(agent)))).encoded()
        for connection in agentConnections.values { delivery.send(bytes, to: connection) }
        for connection in supervisors.keys { delivery.send(bytes, to: connection) }
        snapshotDirty = true
    }

    /// Whether the agent has a connection: here, or — in a cluster — on another node, as
    /// far as the centre can tell (on duty and not dropped; an agent signed in elsewhere
    /// but offline counts as not connected).
    func isConnected(_ agent: ChatCore.Agent) -> Bool {
        if agentConnections[agent.id] != nil { return true }
        guard !(commands is LocalCommandPath) else { return false }
        return agent.status != .offline && agent.droppedAt == nil
    }
}
