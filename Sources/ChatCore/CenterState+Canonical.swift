// The engine's whole state as text, in an order that depends on nothing but the
// commands applied: a seam for the replica tests, and a way for a cluster to check
// that two replicas still agree (compare a hash of it at the same log position).

extension ContactCenter {
    /// Every field of the state that a later decision could read, one line per record:
    /// time, agents, lines, rankings, per-queue figures, contacts and conversations (by
    /// slot), offers (by id), timers (by firing order) and the id counters. Maps are
    /// written in key order, never in hash order. O(state).
    package func canonicalState() -> [String] { state.canonicalState() }
}

extension CenterState {
    func canonicalState() -> [String] {
        var out: [String] = []
        out.append("now \(now) \(wallNow) hoursOpen \(hoursOpen) hoursDeadline \(String(describing: hoursDeadline))")
        out.append("nextOffer \(nextOfferNumber) nextTicket \(nextTicket) pendingMessages \(pendingMessages)")
        for agent in agents { out.append("\(agent)") }
        for (handle, id) in agentIDsByHandle.sorted(by: { $0.key < $1.key }) { out.append("handle \(handle) -> \(id)") }
        for li in lines.indices {
            let entries = lines[li].entries.map { "\($0.key):\($0.contact)\($0.blocked ? "!" : "")" }
            out.append("line \(lineID(index: li)) [\(entries.joined(separator: " "))]")
            out.append("ranking \(lineID(index: li)) \(rankings[li].describe())")
        }
        for q in waitingCount.indices {
            out.append("queue \(q) waiting \(waitingCount[q]) onDuty \(agentsOnDuty[q]) "
                       + "mailbox \(Array(mailboxes[q])) \(counters[q])")
        }
        out.append(contentsOf: contacts.describeSlots().map { "contact \($0)" })
        out.append(contentsOf: conversations.describeSlots().map { "conversation \($0)" })
        for (_, offer) in offers.sorted(by: { $0.key < $1.key }) { out.append("\(offer)") }
        out.append("ended \(Array(endedContacts))")
        out.append(contentsOf: deadlines.describe())
        return out
    }
}
