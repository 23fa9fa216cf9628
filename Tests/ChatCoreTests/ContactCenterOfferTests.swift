import Testing
import ChatCore

/// Offer mode: an offer holds a slot until accepted, declined or expired; a failed
/// offer puts the customer back at their original place, and the same agent is not
/// offered them again for `reofferDelay`.
struct ContactCenterOfferTests {
    static func harness() throws -> Harness {
        try Harness { c in
            c.routing = .offer(timeout: .seconds(15))
            c.reofferDelay = .seconds(60)
        }
    }

    @Test func anOfferHoldsASlotUntilAcceptedThenTheConversationStarts() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        let offer = try #require(h.offer(for: a))
        #expect(offer.agent == kim)
        #expect(offer.expiresAt == h.clock.now.advanced(by: .seconds(15)))
        #expect(h.log.contains(.offered(offer)))
        #expect(h.contact(a).offeredAt == h.clock.now)
        let b = try h.arrive()
        #expect(h.offer(for: b) == nil)  // kim's only slot is held by the offer
        h.clock.advance(by: .seconds(4))
        let notices = h.run(try h.center.acceptOffer(offer.id, by: kim))
        let conversation = try #require(h.conversation(of: a))
        #expect(notices == [.assigned(conversation, a, kim)])
        #expect(h.contact(a).assignedAt == h.clock.now)
        #expect(h.center.offer(offer.id) == nil)
    }

    @Test func aDeclinedCustomerReturnsToTheirOriginalPlace() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let first = try h.arrive()
        let second = try h.arrive()
        let third = try h.arrive()
        let offer = try #require(h.offer(for: first))
        #expect(h.waiting() == [second, third])
        h.run(try h.center.declineOffer(offer.id, by: kim))
        #expect(h.log.contains(.offerWithdrawn(offer, .declined)))
        #expect(h.contact(first).offersRefused == 1)
        // kim is not offered `first` again at once, so kim gets `second`…
        #expect(h.offer(for: second)?.agent == kim)
        // …while `first` keeps the front place.
        #expect(h.waiting() == [first, third])
        #expect(h.center.placeInLine(of: first) == 1)
    }

    @Test func anotherAgentMayTakeADeclinedCustomerAtOnce() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        let lee = try h.agent("lee", chat: 1, status: .away)
        h.run(try h.center.setStatus(lee, .available))
        #expect(h.offer(for: a)?.agent == kim)
        h.run(try h.center.declineOffer(h.offer(for: a)!.id, by: kim))
        #expect(h.offer(for: a)?.agent == lee)
    }

    @Test func theSameAgentIsOfferedTheCustomerAgainAfterTheDelay() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        h.run(try h.center.declineOffer(h.offer(for: a)!.id, by: kim))
        #expect(h.offer(for: a) == nil)
        #expect(h.center.placeInLine(of: a) == 1)
        h.advance(seconds: 59)
        #expect(h.offer(for: a) == nil)
        h.advance(seconds: 1)
        #expect(h.offer(for: a)?.agent == kim)
    }

    @Test func anUnansweredOfferExpiresAndTheCustomerKeepsTheirPlace() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        let b = try h.arrive()
        let offer = try #require(h.offer(for: a))
        #expect(h.center.nextDeadline == offer.expiresAt)
        h.advance(seconds: 14)
        #expect(h.offer(for: a) == offer)
        let notices = h.advance(seconds: 1)
        #expect(notices.contains(.offerWithdrawn(offer, .expired)))
        #expect(h.offer(for: b)?.agent == kim)
        #expect(h.waiting() == [a])
        #expect(throws: ChatError.unknownOffer) { try h.center.acceptOffer(offer.id, by: kim) }
    }

    @Test func onlyTheOfferedAgentMayAnswer() throws {
        let h = try Self.harness()
        try h.agent("kim", chat: 1)
        let lee = try h.agent("lee", chat: 0)
        let a = try h.arrive()
        let offer = try #require(h.offer(for: a))
        #expect(throws: ChatError.notOffered) { try h.center.acceptOffer(offer.id, by: lee) }
        #expect(throws: ChatError.notOffered) { try h.center.declineOffer(offer.id, by: lee) }
        #expect(throws: ChatError.unknownOffer) { try h.center.acceptOffer(OfferID(999), by: lee) }
        #expect(throws: ChatError.unknownAgent) { try h.center.acceptOffer(offer.id, by: AgentID(77)) }
    }

    @Test func goingAwayWithdrawsOpenOffers() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        let offer = try #require(h.offer(for: a))
        let notices = h.run(try h.center.setStatus(kim, .away))
        #expect(notices.contains(.offerWithdrawn(offer, .agentUnavailable)))
        #expect(h.waiting() == [a])
        #expect(h.contact(a).offersRefused == 0)
    }

    @Test func aCustomerWhoLeavesDuringAnOfferFreesTheAgent() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim", chat: 1)
        let a = try h.arrive()
        let b = try h.arrive()
        let offer = try #require(h.offer(for: a))
        h.run(try h.center.customerLeaves(a))
        #expect(h.log.contains(.offerWithdrawn(offer, .customerLeft)))
        #expect(h.contact(a).outcome == .abandoned(.left))
        #expect(h.contact(a).offeredAt != nil)
        #expect(h.offer(for: b)?.agent == kim)
    }
}
