import ChatCore
import ChatProtocol

// What the domain thread does on its own, every tick (a quarter second): the center's
// timers, places in line, supervisor snapshots, session expiry, the gauges.

extension ServiceDesk {
    static let placeInterval: Duration = .seconds(1)
    static let snapshotInterval: Duration = .seconds(1)

    func tick() {
        if let deadline = center.nextDeadline, deadline <= center.now {
            apply(center.fireDueTimers())
        }
        let now = center.now
        expireSessions(now: now)
        if !dirtyLines.isEmpty, lastPlacePush.advanced(by: Self.placeInterval) <= now {
            lastPlacePush = now
            pushPlaces()
        }
        if snapshotDirty, lastSnapshotPush.advanced(by: Self.snapshotInterval) <= now {
            snapshotDirty = false
            lastSnapshotPush = now
            if !supervisors.isEmpty {
                let bytes = ServerMessage.snapshot(snapshot()).encoded()
                for connection in supervisors.keys { outbox.send(bytes, to: connection) }
            }
        }
        metrics.publish(gauges())
    }

    /// `place_in_line` to each waiting customer whose place moved (at most once a second).
    private func pushPlaces() {
        for line in dirtyLines {
            for (index, contact) in center.waitingContacts(in: line).enumerated() {
                guard let owner = contactOwners[contact], owner.contact == contact, let connection = owner.connection,
                      owner.place != index + 1 else { continue }
                owner.place = index + 1
                send(.placeInLine(PlaceInLine(place: index + 1)), to: connection)
            }
        }
        dirtyLines.removeAll(keepingCapacity: true)
    }

    /// Forgets sessions whose grace period ended without a reconnect.
    private func expireSessions(now: Instant) {
        while let (token, at) = expiring.first, at <= now {
            _ = expiring.removeFirst()
            guard let session = sessions[token], session.connection == nil, isExpired(session) else { continue }
            sessions[token] = nil
            if let contact = session.contact, contactOwners[contact] === session { contactOwners[contact] = nil }
        }
    }

    func snapshot() -> Snapshot {
        let queues = center.queues.indices.compactMap { index -> QueueSnapshot? in
            let queue = center.queues[index]
            guard let s = center.status(of: QueueID(Int32(index))) else { return nil }
            return QueueSnapshot(queue: queue.key, name: queue.name, waitingChats: Int64(s.waitingChats),
                                 waitingCalls: Int64(s.waitingCalls), agentsOnDuty: Int64(s.agentsOnDuty),
                                 pendingMessages: Int64(s.pendingMessages), deflected: Int64(s.counters.deflected),
                                 rejectedFull: Int64(s.counters.rejectedFull), closedOut: Int64(s.counters.closedOut),
                                 messagesLeft: Int64(s.counters.messagesLeft))
        }
        let agents = center.agents.map { AgentState($0, connected: agentConnections[$0.id] != nil) }
        return Snapshot(ts: nowTS, open: center.isOpen, queues: queues, agents: agents)
    }

    func gauges() -> CenterGauges {
        var g = CenterGauges()
        g.open = center.isOpen
        for index in center.queues.indices {
            guard let s = center.status(of: QueueID(Int32(index))) else { continue }
            g.queues.append(CenterGauges.Queue(
                key: center.queues[index].key, waitingChats: s.waitingChats, waitingCalls: s.waitingCalls,
                agentsOnDuty: s.agentsOnDuty, pendingMessages: s.pendingMessages, deflected: s.counters.deflected,
                rejectedFull: s.counters.rejectedFull, closedOut: s.counters.closedOut, messagesLeft: s.counters.messagesLeft))
        }
        for status in ChatCore.AgentStatus.allCases { g.agentsByStatus[status.rawValue] = 0 }
        for agent in center.agents {
            g.agentsByStatus[agent.status.rawValue, default: 0] += 1
            g.openConversations += agent.conversations.count
        }
        g.agentsConnected = agentConnections.count
        g.customerSessions = sessions.count
        return g
    }
}
