import ChatCore
import ChatProtocol

// What the domain thread does on its own, every tick (a quarter second): the center's
// timers, session expiry, the wait statistics with places in line and estimates
// (ServiceDesk+Statistics.swift), supervisor snapshots, the gauges.

extension ServiceDesk {
    static let snapshotInterval: Duration = .seconds(1)

    func tick() {
        if !timersAsked, commands.firesTimers, let deadline = center.nextDeadline, deadline <= now {
            // Once until it is carried out: through a cluster's log that takes a while.
            timersAsked = true
            perform(.fireDueTimers) { [self] outcome in
                timersAsked = false
                apply(outcome.notices)
            }
        }
        let now = self.now
        expireSessions(now: now)
        retryTakeOvers()
        checkDecisionEvents()
        budgets.forgetRested(now: budgetClock)
        tickStatistics(now: now)
        if snapshotDirty, lastSnapshotPush.advanced(by: Self.snapshotInterval) <= now {
            snapshotDirty = false
            lastSnapshotPush = now
            if !supervisors.isEmpty {
                let bytes = ServerMessage.snapshot(snapshot()).encoded()
                for connection in supervisors.keys { delivery.send(bytes, to: connection) }
            }
        }
        metrics.publish(gauges())
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
        let published = self.published ?? computeStatistics(at: now)
        let queues = center.queues.indices.compactMap { index -> QueueSnapshot? in
            let queue = center.queues[index]
            guard let s = center.status(of: QueueID(Int32(index))) else { return nil }
            let figures = published.queues.indices.contains(index) ? published.queues[index] : nil
            return QueueSnapshot(queue: queue.key, name: queue.name, waitingChats: Int64(s.waitingChats),
                                 waitingCalls: Int64(s.waitingCalls), agentsOnDuty: Int64(s.agentsOnDuty),
                                 pendingMessages: Int64(s.pendingMessages), deflected: Int64(s.counters.deflected),
                                 rejectedFull: Int64(s.counters.rejectedFull), closedOut: Int64(s.counters.closedOut),
                                 messagesLeft: Int64(s.counters.messagesLeft),
                                 // Live, like the counts beside it: the published figures are up to a second old.
                                 longestWaitMs: longestWait(in: QueueID(Int32(index)), at: now),
                                 wait: figures?.wait, phone: figures?.phone)
        }
        let agents = center.agents.map { AgentState($0, connected: isConnected($0)) }
        return Snapshot(ts: nowTS, open: center.isOpen, queues: queues, agents: agents, stats: published.center)
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
        g.agentsConnected = center.agents.reduce(0) { $0 + (isConnected($1) ? 1 : 0) }
        g.customerSessions = sessions.count
        g.stats = published
        return g
    }
}
