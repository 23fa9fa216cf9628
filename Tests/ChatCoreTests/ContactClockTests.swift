import Testing
import ChatCore

/// The clock on every contact (`Contact`'s timestamps, README "Wait-time
/// definitions"): first occurrences survive declines, transfers, returns to the line
/// and grace periods.
struct ContactClockTests {
    @Test func aServedChatHasEveryTimestampInOrder() throws {
        let h = try Harness()
        let kim = try h.agent("kim", chat: 1, status: .away)
        let a = try h.arrive()
        #expect(h.contact(a).arrivedAt == Instant(milliseconds: 1_000))
        #expect(h.contact(a).enqueuedAt == Instant(milliseconds: 1_000))
        h.clock.advance(by: .seconds(5))
        h.run(try h.center.setStatus(kim, .available))
        #expect(h.contact(a).assignedAt == Instant(milliseconds: 6_000))
        #expect(h.contact(a).offeredAt == nil)  // direct routing makes no offer
        let conversation = try #require(h.conversation(of: a))
        h.clock.advance(by: .seconds(2))
        h.run(try h.center.agentReplied(in: conversation, by: kim))
        h.clock.advance(by: .seconds(2))
        h.run(try h.center.agentReplied(in: conversation, by: kim))
        #expect(h.contact(a).firstAgentReplyAt == Instant(milliseconds: 8_000))
        h.run(try h.center.endConversation(conversation, by: kim))
        #expect(h.contact(a).endedAt == Instant(milliseconds: 10_000))
        #expect(h.contact(a).abandonedAt == nil)
        #expect(h.contact(a).abandonReason == nil)
    }

    @Test func aFAQStepComesBeforeTheEnqueueInstant() throws {
        let h = try Harness { c in
            c.faqEntries = [FAQEntry(id: "delivery", question: "배송은 얼마나 걸려요?", answer: "2-3일", keywords: ["배송"])]
        }
        try h.agent("kim", status: .away)
        let a = try h.arrive(message: "배송이 언제 와요?")
        #expect(h.contact(a).enqueuedAt == nil)
        h.clock.advance(by: .seconds(7))
        h.run(try h.center.continueAfterFAQ(a))
        #expect(h.contact(a).arrivedAt == Instant(milliseconds: 1_000))
        #expect(h.contact(a).enqueuedAt == Instant(milliseconds: 8_000))
    }

    @Test func firstOccurrencesSurviveATransferAndAReturnToTheLine() throws {
        let h = try Harness()
        let kim = try h.agent("kim", [.orders, .returns], chat: 1)
        let a = try h.arrive()
        let conversation = try #require(h.conversation(of: a))
        h.run(try h.center.agentReplied(in: conversation, by: kim))
        h.clock.advance(by: .seconds(3))
        h.run(try h.center.transfer(conversation, to: .queue(.returns), by: kim))
        let lee = try h.agent("lee", [.returns], chat: 1)
        #expect(h.holder(of: a) == lee)
        h.clock.advance(by: .seconds(3))
        h.run(try h.center.setStatus(lee, .offline))  // back to the front of returns (kim is excluded)
        #expect(h.waiting(.returns) == [a])
        h.run(try h.center.setStatus(kim, .offline))  // nobody serves returns: closed
        let c = h.contact(a)
        #expect(c.enqueuedAt == Instant(milliseconds: 1_000))
        #expect(c.assignedAt == Instant(milliseconds: 1_000))
        #expect(c.firstAgentReplyAt == Instant(milliseconds: 1_000))
        #expect(c.queue == .orders)
        #expect(c.currentQueue == .returns)
        #expect(c.outcome == .served)  // it had been answered: not an abandonment
        #expect(c.abandonReason == nil)
        #expect(c.endedAt == Instant(milliseconds: 7_000))
    }

    @Test func aDroppedCustomerIsAbandonedWhenTheGracePeriodEnds() throws {
        let h = try Harness { $0.customerGracePeriod = .seconds(20) }
        try h.agent("kim", status: .away)
        let a = try h.arrive()
        h.clock.advance(by: .seconds(4))
        h.run(try h.center.customerDisconnected(a))
        #expect(h.contact(a).disconnectedAt == Instant(milliseconds: 5_000))
        h.advance(seconds: 20)
        let c = h.contact(a)
        #expect(c.abandonReason == .timedOut)
        #expect(c.abandonedAt == Instant(milliseconds: 25_000))
        #expect(c.endedAt == c.abandonedAt)
        #expect(c.assignedAt == nil)
    }

    @Test func aCustomerWhoReconnectsInTimeKeepsTheirClock() throws {
        let h = try Harness { $0.customerGracePeriod = .seconds(20) }
        let kim = try h.agent("kim", status: .away)
        let a = try h.arrive()
        h.run(try h.center.customerDisconnected(a))
        h.clock.advance(by: .seconds(10))
        h.run(try h.center.customerReconnected(a))
        h.run(try h.center.setStatus(kim, .available))
        #expect(h.contact(a).enqueuedAt == Instant(milliseconds: 1_000))
        #expect(h.contact(a).assignedAt == Instant(milliseconds: 11_000))
        #expect(h.contact(a).disconnectedAt == nil)
    }
}
