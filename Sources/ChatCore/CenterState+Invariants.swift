// The engine's internal consistency rules, checked on demand: a test seam for the
// randomized tests (O(contacts × agents); never called by the engine itself).

extension ContactCenter {
    /// Every broken invariant, described; empty when the state is consistent.
    package func invariantViolations() -> [String] { state.invariantViolations() }
}

extension CenterState {
    func invariantViolations() -> [String] {
        var problems: [String] = []
        // Agents: what they hold matches their conversations and offers, within capacity.
        for agent in agents {
            var chats = 0
            var calls = 0
            for id in agent.conversations {
                guard let c = conversations[id], c.agent == agent.id, !c.isEnded else {
                    problems.append("\(agent.id) lists \(id) it does not hold")
                    continue
                }
                if c.channel == .voice { calls += 1 } else { chats += 1 }
            }
            for id in agent.offers {
                guard let offer = offers[id], offer.agent == agent.id else {
                    problems.append("\(agent.id) lists \(id) not made to it")
                    continue
                }
                if offer.line.channel == .voice { calls += 1 } else { chats += 1 }
            }
            if chats != agent.heldChats || calls != agent.heldCalls {
                problems.append("\(agent.id) counts \(agent.heldChats)+\(agent.heldCalls), holds \(chats)+\(calls)")
            }
            if chats > agent.capacity.chat { problems.append("\(agent.id) holds \(chats) chats > capacity") }
            if calls > agent.capacity.voice { problems.append("\(agent.id) holds \(calls) calls > capacity") }
            if calls > 0 && chats > 0 { problems.append("\(agent.id) holds a call and chats") }
            if agent.status == .offline && (chats > 0 || calls > 0) { problems.append("\(agent.id) offline holds work") }
        }
        // Lines: ordered, consistent with their contacts and counts.
        for li in lines.indices {
            var previous = Int64.min
            for p in 0..<lines[li].count {
                let e = lines[li][p]
                if e.key <= previous { problems.append("line \(li) out of order at \(p)") }
                previous = e.key
                guard let c = contacts[e.contact], c.state == .waiting(lineID(index: li)), c.orderKey == e.key else {
                    problems.append("line \(li) holds \(e.contact) that is not waiting there")
                    continue
                }
                if c.isBlocked != e.blocked { problems.append("\(e.contact) blocked flag stale") }
            }
        }
        for q in waitingCount.indices where waitingCount[q] != lines[2 * q].count + lines[2 * q + 1].count {
            problems.append("queue \(q) waiting count \(waitingCount[q]) is wrong")
        }
        for q in agentsOnDuty.indices {
            let onDuty = agents.filter { $0.isOnDuty && $0.serves(QueueID(Int32(q))) }.count
            if onDuty != agentsOnDuty[q] { problems.append("queue \(q) on-duty count \(agentsOnDuty[q]) != \(onDuty)") }
        }
        // Offers: each contact offered is out of its line and points back. In id order,
        // so the report reads the same in every process (hash order does not).
        for (id, offer) in offers.sorted(by: { $0.key < $1.key }) where contacts[offer.contact]?.state != .offered(id) {
            problems.append("\(id) for a contact not in the offered state")
        }
        // Routing: no waiting, connected contact could be taken by an agent with room.
        for li in lines.indices {
            let line = lineID(index: li)
            for p in 0..<lines[li].count {
                let c = contacts[live: lines[li][p].contact]
                guard c.disconnectedAt == nil else { continue }
                for agent in agents where agent.isRoutable && agent.serves(line.queue)
                    && agent.hasRoom(for: line.channel) && !c.excludes(agent.id, at: now) {
                    problems.append("\(c.id) waits in \(line) while \(agent.id) has room")
                }
            }
        }
        return problems
    }
}
