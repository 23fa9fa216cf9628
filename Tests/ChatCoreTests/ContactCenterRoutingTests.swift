import Testing
import ChatCore

/// First in, first out per queue; oldest first across an agent's queues; the agent
/// with the most room, then the longest idle; places in line; limits.
struct ContactCenterRoutingTests {
    @Test func customersInAQueueAreServedFirstInFirstOut() throws {
        let h = try Harness()
        let agent = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        let b = try h.arrive()
        let c = try h.arrive()
        #expect(h.holder(of: a) == agent)
        #expect(h.waiting() == [b, c])
        h.run(try h.center.endConversation(h.conversation(of: a)!, by: agent))
        #expect(h.holder(of: b) == agent)
        #expect(h.waiting() == [c])
        h.run(try h.center.endConversation(h.conversation(of: b)!, by: agent))
        #expect(h.holder(of: c) == agent)
    }

    @Test func arrivalIsAssignedAtOnceWhenAnAgentHasRoom() throws {
        let h = try Harness()
        let agent = try h.agent("kim")
        let (id, notices) = try h.center.customerArrives(ContactRequest(queue: Harness.orders))
        let conversation = try #require(h.conversation(of: id))
        #expect(notices == [.queued(id, LineID(queue: Harness.orders, channel: .chat), place: 1),
                            .assigned(conversation, id, agent)])
        let contact = h.contact(id)
        #expect(contact.enqueuedAt == h.clock.now)
        #expect(contact.assignedAt == h.clock.now)
        #expect(h.center.agent(agent)?.lastAssignedAt == h.clock.now)
    }

    @Test func theOldestWaitingAcrossTheAgentsQueuesGoesFirst() throws {
        let h = try Harness()
        let agent = try h.agent("kim", [Harness.orders, Harness.returns], chat: 1)
        let first = try h.arrive(Harness.orders)
        h.clock.advance(by: .seconds(1))
        let returnsCustomer = try h.arrive(Harness.returns)
        h.clock.advance(by: .seconds(1))
        let ordersCustomer = try h.arrive(Harness.orders)
        h.run(try h.center.endConversation(h.conversation(of: first)!, by: agent))
        #expect(h.holder(of: returnsCustomer) == agent)
        #expect(h.state(ordersCustomer) == .waiting(LineID(queue: Harness.orders, channel: .chat)))
    }

    @Test func theAgentWithTheMostFreeSlotsIsPreferred() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let lee = try h.agent("lee")
        #expect(h.holder(of: try h.arrive()) == kim)  // tie: never assigned, lower id
        #expect(h.holder(of: try h.arrive()) == lee)  // lee has 3 free, kim 2
        #expect(h.holder(of: try h.arrive()) == kim)
    }

    @Test func onEqualRoomTheAgentIdleLongestIsPreferred() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let lee = try h.agent("lee")
        let one = try h.arrive()                     // kim, at t0
        h.clock.advance(by: .seconds(5))
        let two = try h.arrive()                     // lee, at t0+5
        h.run(try h.center.endConversation(h.conversation(of: one)!, by: kim))
        h.run(try h.center.endConversation(h.conversation(of: two)!, by: lee))
        // Both have 3 free slots again; kim's last assignment is older.
        #expect(h.holder(of: try h.arrive()) == kim)
    }

    @Test func placesInLineAreReportedAndMoveUp() throws {
        let h = try Harness()
        let agent = try h.agent("kim", chat: 1)
        let busy = try h.arrive()
        let b = try h.arrive()
        let c = try h.arrive()
        let line = LineID(queue: Harness.orders, channel: .chat)
        #expect(h.log.contains(.queued(c, line, place: 2)))
        #expect(h.center.placeInLine(of: b) == 1)
        #expect(h.center.placeInLine(of: c) == 2)
        #expect(h.center.placeInLine(of: busy) == nil)
        let notices = h.run(try h.center.endConversation(h.conversation(of: busy)!, by: agent))
        #expect(notices.contains(.lineChanged(line)))
        #expect(h.center.placeInLine(of: c) == 1)
        #expect(h.center.waitingCount(in: line) == 1)
    }

    @Test func aCustomerWhoLeavesTheLineIsAbandonedAndOthersMoveUp() throws {
        let h = try Harness()
        try h.agent("kim", chat: 1)
        try h.arrive()
        let b = try h.arrive()
        let c = try h.arrive()
        h.clock.advance(by: .seconds(30))
        let notices = h.run(try h.center.customerLeaves(b))
        #expect(notices.contains(.contactFinished(b)))
        let record = h.contact(b)
        #expect(record.outcome == .abandoned(.left))
        #expect(record.abandonReason == .left)
        #expect(record.abandonedAt == h.clock.now)
        #expect(record.assignedAt == nil)
        #expect(h.center.placeInLine(of: c) == 1)
        #expect(try h.center.customerLeaves(b).isEmpty)  // harmless when repeated
    }

    @Test func aFullQueueRejectsArrivalsWithQueueFull() throws {
        let h = try Harness { $0.queues[0].maxWaiting = 2 }
        try h.agent("kim", chat: 1)
        try h.arrive()  // assigned
        try h.arrive()
        try h.arrive()
        #expect(throws: ChatError.queueFull) { try h.center.customerArrives(ContactRequest(queue: Harness.orders)) }
        #expect(h.center.status(of: Harness.orders)?.counters.rejectedFull == 1)
        #expect(h.center.waitingTotal == 2)
    }

    @Test func unknownQueuesAndRequestedFAQChannelAreRejected() throws {
        let h = try Harness()
        #expect(throws: ChatError.unknownQueue) { try h.center.customerArrives(ContactRequest(queue: QueueID(9))) }
        #expect(throws: ChatError.unknownQueue) { try h.center.customerArrives(ContactRequest(queue: QueueID(-1))) }
        #expect(throws: ChatError.invalidChannel) {
            try h.center.customerArrives(ContactRequest(queue: Harness.orders, channel: .faq))
        }
    }

    @Test func anAgentWhoIsAwayKeepsChatsButGetsNoNewOnes() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let first = try h.arrive()
        h.run(try h.center.setStatus(kim, .away))
        let second = try h.arrive()
        #expect(h.holder(of: first) == kim)
        #expect(h.holder(of: second) == nil)
        let notices = h.run(try h.center.setStatus(kim, .available))
        #expect(notices.first == .agentStatusChanged(kim, .available))
        #expect(h.holder(of: second) == kim)
    }

    @Test func anAgentOnlyGetsContactsOfTheQueuesTheyServe() throws {
        let h = try Harness()
        let kim = try h.agent("kim", [Harness.returns])
        try h.agent("lee", [Harness.orders], status: .away)
        let order = try h.arrive(Harness.orders)
        #expect(h.holder(of: order) == nil)
        #expect(h.center.agent(kim)?.heldChats == 0)
    }

    @Test func agentsAreFoundByHandleAndHandlesAreUnique() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        #expect(h.center.agentID(forHandle: "kim") == kim)
        #expect(h.center.agent(kim)?.displayName == "KIM")
        #expect(throws: ChatError.duplicateAgent) { try h.agent("kim") }
        #expect(throws: ChatError.unknownQueue) { try h.agent("park", [QueueID(42)]) }
        #expect(throws: ChatError.invalidConfiguration("agent 'choi': capacity needs chat >= 0 and voice 0 or 1")) {
            try h.agent("choi", voice: 2)
        }
        #expect(throws: ChatError.unknownAgent) { try h.center.setStatus(AgentID(99), .available) }
        #expect(h.center.queueID(forKey: "returns") == Harness.returns)
        #expect(h.center.queues[1].name == "취소/반품/환불")
    }
}
