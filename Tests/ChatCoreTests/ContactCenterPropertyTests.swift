import Testing
import ChatCore

/// Random sequences of every command, replayed from fixed seeds: after each step no
/// agent holds more than their capacity, voice stays exclusive, lines stay ordered and
/// consistent, and no contact waits while an agent who could take it has room
/// (`invariantViolations`). Every contact finishes at most once, and every ended one
/// exactly once.
struct ContactCenterPropertyTests {
    @Test(arguments: [(UInt64(1), false), (2, false), (3, true), (4, true)])
    func capacityAndRoutingInvariantsHoldUnderRandomCommands(seed: UInt64, offerMode: Bool) throws {
        let h = try Harness { c in
            c.faqEntries = FAQIndexTests.entries
            c.queues = Array(c.queues.prefix(3))
            c.queues[0].maxWaiting = 12
            if offerMode { c.routing = .offer(timeout: .seconds(10)) }
            c.reofferDelay = .seconds(20)
            c.customerGracePeriod = .seconds(30)
            c.agentGracePeriod = .seconds(15)
            c.endedContactsKept = 100_000
        }
        var random = SplitMix64(seed: seed)
        let queues: [QueueID] = [.orders, .returns, .products]
        var agents: [AgentID] = []
        for i in 0..<6 {
            let skills = queues.filter { _ in random.next(below: 2) == 0 }
            agents.append(try h.agent("agent\(i)", skills.isEmpty ? [.orders] : skills,
                                      chat: 1 + random.next(below: 3), voice: random.next(below: 2)))
        }
        var contacts: [ContactID] = []
        var finished: [ContactID: Int] = [:]
        var tally: [String: Int] = [:]
        let messages = ["", "", "배송이 언제 와요?", "환불은 언제 되나요", "안녕하세요"]

        func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[random.next(below: items.count)] }

        for step in 0..<2_500 {
            var notices: [Notice] = []
            do {
                switch random.next(below: 16) {
                case 0, 1, 2:
                    let (id, n) = try h.center.customerArrives(ContactRequest(
                        queue: pick(queues)!, channel: random.next(below: 5) == 0 ? .voice : .chat,
                        preChat: PreChat(firstMessage: pick(messages)!)))
                    contacts.append(id)
                    notices = n
                case 3:
                    if let c = pick(contacts) { notices = try h.center.customerLeaves(c) }
                case 4:
                    if let c = pick(contacts) { notices = try h.center.customerDisconnected(c) }
                case 5:
                    if let c = pick(contacts) { notices = try h.center.customerReconnected(c) }
                case 6, 7:
                    let held = h.center.agents.flatMap { a in a.conversations.map { (a.id, $0) } }
                    if let (agent, conversation) = pick(held) {
                        notices = try h.center.endConversation(conversation, by: agent)
                    }
                case 8:
                    let held = h.center.agents.flatMap { a in a.conversations.map { (a.id, $0) } }
                    if let (agent, conversation) = pick(held) {
                        let target: TransferTarget = random.next(below: 2) == 0
                            ? .queue(pick(queues)!) : .agent(pick(agents)!)
                        notices = try h.center.transfer(conversation, to: target, by: agent)
                    }
                case 9:
                    notices = try h.center.setStatus(pick(agents)!, pick(AgentStatus.allCases)!)
                case 10:
                    let agent = pick(agents)!
                    notices = random.next(below: 2) == 0
                        ? try h.center.agentDisconnected(agent) : try h.center.agentReconnected(agent)
                case 11:
                    let open = h.center.agents.flatMap { a in a.offers.map { (a.id, $0) } }
                    if let (agent, offer) = pick(open) {
                        notices = random.next(below: 2) == 0
                            ? try h.center.acceptOffer(offer, by: agent) : try h.center.declineOffer(offer, by: agent)
                    }
                case 12:
                    if let c = pick(contacts.filter { h.state($0) == .consultingFAQ }) {
                        notices = random.next(below: 2) == 0
                            ? try h.center.resolveWithFAQ(c) : try h.center.continueAfterFAQ(c)
                    }
                case 13:
                    if let c = pick(contacts), let conversation = h.conversation(of: c) {
                        notices = try h.center.rate(conversation, by: c, score: random.next(below: 7))
                    }
                default:
                    h.clock.advance(by: .milliseconds(Int64(random.next(below: 20_000))))
                    notices = h.center.fireDueTimers()
                }
            } catch {
                _ = error.code  // typed: every failure is a ChatError
            }
            for case .contactFinished(let id) in notices { finished[id, default: 0] += 1 }
            for notice in notices { tally[kind(notice), default: 0] += 1 }
            let problems = h.center.invariantViolations()
            #expect(problems.isEmpty, "step \(step): \(problems)")
            if !problems.isEmpty { return }
        }
        #expect(finished.values.allSatisfy { $0 == 1 })
        for id in contacts where h.center.contact(id)?.isEnded == true {
            #expect(finished[id] == 1, "\(id) ended without exactly one contactFinished")
        }
        #expect(finished.count > 100)
        // The walk reached every kind of decision worth checking.
        var expected = ["assigned", "transferred", "returnedToQueue", "leaveMessageOffered", "faqSuggested",
                        "conversationEnded", "rated", "lineChanged"]
        if offerMode { expected += ["offered", "offerWithdrawn"] }
        for kind in expected { #expect(tally[kind, default: 0] > 0, "no \(kind) in \(tally)") }
    }

    private func kind(_ notice: Notice) -> String {
        String(String(describing: notice).prefix { $0 != "(" })
    }
}
