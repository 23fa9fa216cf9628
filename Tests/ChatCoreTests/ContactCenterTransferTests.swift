import Testing
import ChatCore

/// Transfers keep the conversation id; to a queue they go to the front, to an agent
/// straight to them.
struct ContactCenterTransferTests {
    @Test func aTransferToAnotherQueueKeepsTheConversationAndGoesToTheFront() throws {
        let h = try Harness()
        let kim = try h.agent("kim", [.orders])
        let lee = try h.agent("lee", [.returns], chat: 1)
        let waitingReturn = try h.arrive(.returns)   // lee's
        let behind = try h.arrive(.returns)          // waits for lee
        h.clock.advance(by: .seconds(10))
        let customer = try h.arrive(.orders)         // kim's
        let conversation = try #require(h.conversation(of: customer))
        let notices = h.run(try h.center.transfer(conversation, to: .queue(.returns), by: kim))
        #expect(notices.contains(.transferred(conversation, customer, from: kim, to: .queue(.returns))))
        #expect(h.waiting(.returns) == [customer, behind])  // front, ahead of an earlier arrival
        #expect(h.center.agent(kim)?.heldChats == 0)
        h.run(try h.center.endConversation(h.conversation(of: waitingReturn)!, by: lee))
        #expect(h.holder(of: customer) == lee)
        #expect(h.conversation(of: customer) == conversation)
        let record = try #require(h.center.conversation(conversation))
        #expect(record.agents == [kim, lee])
        #expect(record.transfers.map(\.to) == [.queue(.returns)])
        #expect(h.contact(customer).queue == .orders)
        #expect(h.contact(customer).currentQueue == .returns)
    }

    @Test func theTransferringAgentDoesNotGetTheConversationBack() throws {
        let h = try Harness()
        let kim = try h.agent("kim", [.orders, .returns])
        let customer = try h.arrive(.orders)
        h.run(try h.center.transfer(h.conversation(of: customer)!, to: .queue(.returns), by: kim))
        #expect(h.holder(of: customer) == nil)
        #expect(h.center.placeInLine(of: customer) == 1)
        let lee = try h.agent("lee", [.returns])
        #expect(h.holder(of: customer) == lee)
    }

    @Test func aTransferToAnAgentIsImmediate() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let customer = try h.arrive()
        let lee = try h.agent("lee", [.returns])  // skills are not required
        let conversation = try #require(h.conversation(of: customer))
        h.clock.advance(by: .seconds(3))
        let notices = h.run(try h.center.transfer(conversation, to: .agent(lee), by: kim))
        #expect(notices.prefix(2) == [.transferred(conversation, customer, from: kim, to: .agent(lee)),
                                      .assigned(conversation, customer, lee)])
        #expect(h.holder(of: customer) == lee)
        #expect(h.center.agent(kim)?.conversations == [])
        #expect(h.center.agent(lee)?.conversations == [conversation])
        #expect(h.contact(customer).assignedAt == Instant(milliseconds: 1_000))  // first assignment kept
    }

    @Test func aTransferNeedsARoutableTargetWithRoom() throws {
        let h = try Harness()
        let kim = try h.agent("kim", chat: 1)
        let lee = try h.agent("lee", chat: 1)
        let park = try h.agent("park", status: .away)
        let c1 = try h.arrive()   // kim
        try h.arrive()            // lee (full now)
        let conversation = try #require(h.conversation(of: c1))
        #expect(throws: ChatError.agentUnavailable) { try h.center.transfer(conversation, to: .agent(lee), by: kim) }
        #expect(throws: ChatError.agentUnavailable) { try h.center.transfer(conversation, to: .agent(park), by: kim) }
        #expect(throws: ChatError.invalidState("a conversation cannot be transferred to its own agent")) {
            try h.center.transfer(conversation, to: .agent(kim), by: kim)
        }
        #expect(throws: ChatError.unknownAgent) { try h.center.transfer(conversation, to: .agent(AgentID(50)), by: kim) }
        #expect(throws: ChatError.notAssigned) { try h.center.transfer(conversation, to: .queue(.orders), by: lee) }
        #expect(throws: ChatError.topicUnattended) { try h.center.transfer(conversation, to: .queue(.other), by: kim) }
        #expect(throws: ChatError.unknownQueue) { try h.center.transfer(conversation, to: .queue(QueueID(8)), by: kim) }
        #expect(throws: ChatError.unknownConversation) {
            try h.center.transfer(ConversationID(12_345), to: .queue(.orders), by: kim)
        }
        #expect(h.holder(of: c1) == kim)  // nothing changed
        #expect(h.center.invariantViolations() == [])
    }

    @Test func aTransferToAFullQueueIsRefused() throws {
        let h = try Harness { $0.queues[1].maxWaiting = 0 }
        let kim = try h.agent("kim", [.orders])
        try h.agent("lee", [.returns], status: .away)
        let customer = try h.arrive()
        #expect(throws: ChatError.queueFull) {
            try h.center.transfer(h.conversation(of: customer)!, to: .queue(.returns), by: kim)
        }
    }
}
