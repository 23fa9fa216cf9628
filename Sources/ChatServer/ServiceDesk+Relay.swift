import ChatCore
import ChatProtocol
import Posix

// Conversation events on one node or across a cluster's nodes (protocol/cluster.md,
// "Relay between nodes"). Domain thread only.
//
// One node: an event is numbered, recorded and delivered at once (`record`, `deliver`).
// A cluster: the desk that writes an event appends it to the conversation's stream in
// Redis (`ConversationRelay`), which numbers it; every node following the conversation
// hears it back in seq order, stores it in its own transcripts and delivers it to the
// recipients connected there. So every node's transcript of a conversation is the same,
// and a message reaches its recipient whichever node either side is on.

/// Whom a conversation event or note is for: the customer of a contact and agents,
/// named by the centre's ids (the same on every node). Each node delivers to those
/// connected to it.
struct Recipients: Equatable {
    var customer: ContactID?
    var agents: [AgentID] = []

    init(customer: ContactID? = nil, agents: [AgentID?] = []) {
        self.customer = customer
        self.agents = agents.compactMap { $0 }
    }

    /// "c12 a3 a7": the form the relay carries.
    var text: String {
        var parts: [String] = []
        if let customer { parts.append("c\(customer.rawValue)") }
        for agent in agents { parts.append("a\(agent.rawValue)") }
        return parts.joined(separator: " ")
    }

    /// Unknown parts are skipped: a newer node's recipients still reach those this one knows.
    init(text: String) {
        for part in text.split(separator: " ") {
            switch part.first {
            case "c": if let raw = UInt64(part.dropFirst()) { customer = ContactID(raw) }
            case "a": if let raw = Int32(part.dropFirst()) { agents.append(AgentID(raw)) }
            default: break
            }
        }
    }
}

/// What became of an event the desk wrote.
enum Publication {
    case stored(RecordedEvent)
    /// The sender's client id was already in the conversation, at `seq`.
    case duplicate(conversation: String, seq: Int64, ts: Int64)
    /// Redis could not take it (cluster only, logged): nothing was stored, the sender may retry.
    case failed
}

extension ServiceDesk {
    /// Writes the next event of `conversation` for `recipients`. `writer` false: another
    /// node writes it (a cluster node applying another's decision), so this one only
    /// hears it. `clientID` names a client's message for deduplication across nodes.
    func publish(_ conversation: ConversationID, at instant: Instant? = nil, clientID: String? = nil, to recipients: Recipients,
                 writer: Bool = true, _ make: @escaping (_ wireID: String, _ seq: Int64, _ ts: Int64) -> ConversationEvent,
                 done: @escaping (Publication) -> Void = { _ in }) {
        guard let relay else {
            let event = record(conversation, at: instant, make)
            send(event.bytes, to: recipients)
            done(.stored(event))
            return
        }
        let ts = self.ts(instant ?? now)
        // A decision's event (a client's message has its own id): named after the log
        // entry, and checked for a while later by every node that follows the conversation.
        let decision = clientID == nil ? decisionEventID(in: conversation) : nil
        let expected = decision.map { DecisionEvent(due: now.advanced(by: Self.decisionEventGrace), conversation: conversation,
                                                    clientID: $0, recipients: recipients, ts: ts, make: make, done: done) }
        guard writer else {
            if let expected { decisionChecks.append(expected) }
            return
        }
        let wireID = wire(conversation)
        var made: RecordedEvent?
        relay.append(to: wireID, clientID: clientID ?? decision, recipients: recipients.text, ts: ts, encode: { seq in
            let event = RecordedEvent(make(wireID, seq, ts))
            made = event
            return event.bytes
        }) { [self] result in
            switch result {
            case .success(.stored):
                if let made { done(.stored(made)) }
            case .success(.duplicate(let seq)):
                let earlier = transcripts.events(of: conversation, after: seq - 1, limit: 1).events.first
                done(.duplicate(conversation: wireID, seq: seq, ts: earlier?.ts ?? nowTS))
            case .failure(let failure):
                Log.warning("cluster: an event of \(wireID) was not stored: \(failure)")
                if let expected {
                    // Written later, here or by another node (checkDecisionEvents); `done` then.
                    decisionChecks.append(expected)
                } else {
                    done(.failed)
                }
            }
        }
    }

    /// A note for a conversation's parties that is not kept (typing, a receipt).
    func tell(_ message: ServerMessage, in conversation: ConversationID, to recipients: Recipients) {
        guard let relay else { return send(message.encoded(), to: recipients) }
        relay.notify(wire(conversation), recipients: recipients.text, message.encoded())
    }

    /// Sends `bytes` to those of `recipients` connected here.
    func send(_ bytes: [UInt8], to recipients: Recipients) {
        if let contact = recipients.customer, let connection = customerConnection(of: contact) { delivery.send(bytes, to: connection) }
        for agent in recipients.agents { if let connection = agentConnections[agent] { delivery.send(bytes, to: connection) } }
    }

    /// Starts hearing a conversation's events here (a party of it is connected here);
    /// what this node lacks of it is read from Redis first. One node: nothing to do.
    func follow(_ conversation: ConversationID) {
        relay?.follow(wire(conversation))
    }

    /// Shutdown of a cluster node: drops what waits on Redis (closures that hold this desk).
    func letGoOfCluster() {
        heldReplies.removeAll()
        awaitingContacts.removeAll()
        decisionChecks.removeAll()
        relay = nil
        sharedSessions = nil
    }

    // MARK: Heard from the relay (cluster)

    /// Ties the relay to this desk: what it hears is stored and delivered here.
    func attach(_ relay: ConversationRelay) {
        self.relay = relay
        relay.heldThrough = { [unowned self] wireID in
            WireID.conversation(wireID).flatMap(live).map { transcripts.lastSeq(of: $0) }
        }
        relay.eventReceived = { [unowned self] wireID, event in heard(wireID, event) }
        relay.noteReceived = { [unowned self] _, recipients, bytes in
            send(bytes, to: Recipients(text: recipients))
        }
    }

    /// An event of a followed conversation, in seq order: stored here (the next seq)
    /// and delivered to its recipients connected here.
    private func heard(_ wireID: String, _ event: ConversationRelay.Event) {
        guard let conversation = WireID.conversation(wireID).flatMap(live) else { return }
        let last = transcripts.lastSeq(of: conversation)
        guard event.seq > last else { return }  // stored here already (before a restart)
        if event.seq == last + 1, event.ts > 0 {
            // Written by a node (maybe this one) that encoded these very bytes; the
            // frame says all the store needs, so they are not decoded back here.
            transcripts.append(relayed: event.bytes, seq: event.seq, ts: event.ts, client: RelayClientID(event.clientID),
                               to: conversation)
            send(event.bytes, to: Recipients(text: event.recipients))
            return
        }
        guard case .event(let decoded)? = try? ServerMessage.decode(event.bytes) else {
            Log.error("cluster: event \(event.seq) of \(wireID) from Redis does not decode; skipped")
            return
        }
        let recorded = RecordedEvent(decoded, bytes: event.bytes)
        if event.seq == last + 1 {
            transcripts.append(recorded, to: conversation)
        } else {
            Log.error("cluster: event \(event.seq) of \(wireID) heard after \(last): delivered, not stored here")
        }
        send(recorded.bytes, to: Recipients(text: event.recipients))
    }
}

extension ServiceDesk {
    /// A cluster: the centre disconnected a party of a lost node process (ClusterNode,
    /// "lost instances"); its grace period now runs as if its connection had dropped
    /// here. The holder, which asked, writes the events the decisions make.
    func lost(_ command: CenterCommand, _ outcome: CommandOutcome, writer: Bool) {
        apply(outcome.notices, writer: writer)
        if case .agentDisconnected(let agent) = command { broadcastPresence(of: agent) }
    }
}

extension ServiceDesk {
    /// A cluster, once a second: the customers and agents connected here whom the centre
    /// has as disconnected, or as connected through another process, are reconnected
    /// through the log. That happens when this node was cut off from Redis long enough
    /// to be taken for lost (its parties were disconnected meanwhile): when its link
    /// comes back, their grace periods stop and the log says they are here again.
    func reclaimConnectedParties() {
        for (connection, binding) in bindings {
            switch binding {
            case .customer(let session):
                guard session.connection == connection, let contact = session.contact, let c = center.contact(contact), !c.isEnded,
                      c.disconnectedAt != nil || commands.customerIsElsewhere(contact),
                      reclaiming.insert(.customer(contact)).inserted else { continue }
                Log.info("cluster: customer \(WireID.contact(contact)) is connected here: reconnecting it in the centre")
                perform(.customerReconnected(contact)) { [self] outcome in
                    reclaiming.remove(.customer(contact))
                    apply(outcome.notices)
                }
            case .agent(let agent):
                guard agentConnections[agent] == connection, let a = center.agent(agent),
                      a.droppedAt != nil || (a.status != .offline && commands.agentIsElsewhere(agent)),
                      reclaiming.insert(.agent(agent)).inserted else { continue }
                Log.info("cluster: agent \(a.handle) is connected here: reconnecting them in the centre")
                perform(.agentReconnected(agent)) { [self] outcome in
                    reclaiming.remove(.agent(agent))
                    apply(outcome.notices)
                    broadcastPresence(of: agent)
                }
            case .supervisor:
                continue
            }
        }
    }
}

/// A party being reconnected in the centre (`ServiceDesk.reclaimConnectedParties`).
enum ReclaimedParty: Hashable {
    case customer(ContactID)
    case agent(AgentID)
}
