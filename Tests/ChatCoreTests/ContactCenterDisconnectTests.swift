import Testing
import ChatCore

/// Grace periods: a dropped customer keeps their place and resumes, or is abandoned
/// as timed out; a dropped agent keeps their conversations and resumes, or goes
/// offline and their conversations go back to the front of their queues.
struct ContactCenterDisconnectTests {
    static func harness() throws -> Harness {
        try Harness { c in
            c.customerGracePeriod = .seconds(60)
            c.agentGracePeriod = .seconds(30)
        }
    }

    @Test func aDroppedCustomerKeepsTheirPlaceAndResumes() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let busy = try h.arrive()
        let a = try h.arrive()
        let b = try h.arrive()
        h.run(try h.center.customerDisconnected(a))
        h.advance(seconds: 30)
        #expect(h.center.placeInLine(of: a) == 1)
        h.run(try h.center.customerReconnected(a))
        h.advance(seconds: 60)
        #expect(h.center.placeInLine(of: a) == 1)  // the old grace timer does nothing
        h.run(try h.center.endConversation(h.conversation(of: busy)!, by: kim))
        #expect(h.holder(of: a) == kim)
        #expect(h.center.placeInLine(of: b) == 1)
    }

    /// The decision (issue 16): an absent customer keeps their place, first in line,
    /// but nobody behind waits for an empty chair: an agent who frees up meanwhile
    /// takes the next customer present. Back, they are first again, ahead of everyone
    /// who arrived after them.
    @Test func aDroppedCustomerIsPassedOverUntilTheyReturnThenServedFirst() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let busy = try h.arrive()
        let a = try h.arrive()
        let b = try h.arrive()
        let c = try h.arrive()
        h.run(try h.center.customerDisconnected(a))
        h.run(try h.center.endConversation(h.conversation(of: busy)!, by: kim))
        #expect(h.holder(of: b) == kim)
        #expect(h.center.placeInLine(of: a) == 1)
        #expect(h.center.placeInLine(of: c) == 2)
        h.advance(seconds: 20)
        h.run(try h.center.customerReconnected(a))
        #expect(h.center.placeInLine(of: a) == 1)
        h.run(try h.center.endConversation(h.conversation(of: b)!, by: kim))
        #expect(h.holder(of: a) == kim)
        #expect(h.center.placeInLine(of: c) == 1)
    }

    @Test func aCustomerWhoDoesNotReturnInTimeIsAbandonedAsTimedOut() throws {
        let h = try Self.harness()
        try h.agent("kim", chat: 1)
        try h.arrive()
        let a = try h.arrive()
        let b = try h.arrive()
        h.run(try h.center.customerDisconnected(a))
        h.advance(seconds: 59)
        #expect(h.state(a) == .waiting(LineID(queue: .orders, channel: .chat)))
        let notices = h.advance(seconds: 1)
        #expect(notices.contains(.contactFinished(a)))
        #expect(h.contact(a).outcome == .abandoned(.timedOut))
        #expect(h.contact(a).abandonedAt == h.clock.now)
        #expect(h.center.placeInLine(of: b) == 1)
        #expect(throws: ChatError.invalidState("the contact has ended")) { try h.center.customerReconnected(a) }
    }

    @Test func aCustomerWhoDropsMidConversationEndsItAfterTheGrace() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        let conversation = try #require(h.conversation(of: a))
        h.run(try h.center.customerDisconnected(a))
        let notices = h.advance(seconds: 60)
        #expect(notices.contains(.conversationEnded(conversation, a, agent: kim, .customerTimedOut)))
        #expect(h.contact(a).outcome == .served)
        #expect(h.center.agent(kim)?.heldChats == 0)
    }

    @Test func aDroppedAgentKeepsConversationsAndResumes() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim")
        let a = try h.arrive()
        h.run(try h.center.agentDisconnected(kim))
        let b = try h.arrive()
        #expect(h.holder(of: b) == nil)  // nothing new while dropped
        h.advance(seconds: 20)
        h.run(try h.center.agentReconnected(kim))
        #expect(h.holder(of: b) == kim)
        h.advance(seconds: 60)
        #expect(h.holder(of: a) == kim)
        #expect(h.center.agent(kim)?.status == .available)
    }

    @Test func anAgentWhoDoesNotReturnHandsConversationsBackToTheFront() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 2)
        let lee = try h.agent("lee", chat: 1)
        let a = try h.arrive()              // kim
        let b = try h.arrive()              // lee
        let c = try h.arrive()              // kim
        let waiting = try h.arrive()        // waits
        let conversationA = try #require(h.conversation(of: a))
        h.run(try h.center.agentDisconnected(kim))
        let notices = h.advance(seconds: 30)
        #expect(notices.contains(.agentStatusChanged(kim, .offline)))
        #expect(notices.contains(.returnedToQueue(conversationA, a, from: kim)))
        #expect(h.waiting() == [a, c, waiting])  // returned first, by original arrival
        h.run(try h.center.endConversation(h.conversation(of: b)!, by: lee))
        #expect(h.holder(of: a) == lee)
        #expect(h.conversation(of: a) == conversationA)
        #expect(h.center.conversation(conversationA)?.transfers.first?.reason == .agentLeft)
    }

    @Test func goingOfflineReturnsWorkAndClosesQueuesLeftUnattended() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        let b = try h.arrive()
        let conversation = try #require(h.conversation(of: a))
        let notices = h.run(try h.center.setStatus(kim, .offline))
        #expect(notices.contains(.leaveMessageOffered(a, .unattended)))
        #expect(notices.contains(.leaveMessageOffered(b, .unattended)))
        #expect(h.center.conversation(conversation)?.endReason == .closed)
        #expect(h.contact(a).outcome == .served)
        #expect(h.contact(b).outcome == .abandoned(.closed))
        #expect(h.center.invariantViolations() == [])
    }

    @Test func repeatedOrLateConnectionEventsAreHarmless() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim")
        #expect(try h.center.agentReconnected(kim).isEmpty)
        h.run(try h.center.agentDisconnected(kim))
        #expect(try h.center.agentDisconnected(kim).isEmpty)
        let offline = try h.agent("lee", status: .offline)
        #expect(try h.center.agentDisconnected(offline).isEmpty)
        let a = try h.arrive(.returns)  // unattended: ended at once
        #expect(try h.center.customerDisconnected(a).isEmpty)
        #expect(throws: ChatError.unknownContact) { try h.center.customerDisconnected(ContactID(999)) }
    }
}
