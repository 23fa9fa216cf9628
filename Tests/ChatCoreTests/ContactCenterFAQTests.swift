import Testing
import ChatCore

/// FAQ deflection: answers offered before queueing; "this solved it" ends the contact
/// as deflected and counts it; otherwise the customer queues.
struct ContactCenterFAQTests {
    static func harness() throws -> Harness {
        try Harness { $0.faqEntries = FAQIndexTests.entries }
    }

    @Test func aMatchingFirstMessageGetsAnswersBeforeQueueing() throws {
        let h = try Self.harness()
        try h.agent("kim")
        let a = try h.arrive(message: "배송이 언제 와요?")
        #expect(h.state(a) == .consultingFAQ)
        guard case .faqSuggested(a, let matches)? = h.log.last else {
            Issue.record("no suggestions in \(h.log)")
            return
        }
        #expect(matches.first?.entryID == "delivery-time")
        #expect(matches.first?.answer == "결제 후 1~3일 안에 도착합니다.")
        #expect(h.contact(a).faqSuggestions == matches)
    }

    @Test func thisSolvedItEndsTheContactAsDeflectedAndCountsIt() throws {
        let h = try Self.harness()
        try h.agent("kim")
        let a = try h.arrive(message: "배송은 언제 오나요")
        let notices = h.run(try h.center.resolveWithFAQ(a))
        #expect(notices == [.contactFinished(a)])
        let record = h.contact(a)
        #expect(record.outcome == .deflected)
        #expect(record.channel == .faq)
        #expect(record.deflectedBy == "delivery-time")
        #expect(record.enqueuedAt == nil)
        #expect(h.center.status(of: .orders)?.counters.deflected == 1)
        #expect(throws: ChatError.invalidState("no FAQ answers are open for this contact")) {
            try h.center.resolveWithFAQ(a)
        }
    }

    @Test func otherwiseTheCustomerJoinsTheQueue() throws {
        let h = try Self.harness()
        let kim = try h.agent("kim")
        let a = try h.arrive(message: "환불은 언제 되나요?")
        let notices = h.run(try h.center.continueAfterFAQ(a))
        #expect(notices.contains(.queued(a, LineID(queue: .orders, channel: .chat), place: 1)))
        #expect(h.holder(of: a) == kim)
        #expect(h.center.status(of: .orders)?.counters.deflected == 0)
    }

    @Test func unmatchedMessagesAndCallsQueueDirectly() throws {
        let h = try Self.harness()
        try h.agent("kim")
        let hello = try h.arrive(message: "안녕하세요")
        let call = try h.arrive(.orders, .voice, message: "배송이 언제 와요?")
        #expect(h.holder(of: hello) != nil)
        #expect(h.state(call) != .consultingFAQ)
    }

    @Test func answersAreOfferedEvenWhenClosed() throws {
        let h = try Self.harness()  // nobody on duty
        let a = try h.arrive(message: "배송이 언제 와요?")
        #expect(h.state(a) == .consultingFAQ)
        let notices = h.run(try h.center.continueAfterFAQ(a))
        #expect(notices.contains(.leaveMessageOffered(a, .unattended)))
    }

    @Test func aCustomerWhoLeavesDuringFAQIsAbandonedWithoutQueueing() throws {
        let h = try Self.harness()
        let a = try h.arrive(message: "배송이 언제 와요?")
        h.run(try h.center.customerLeaves(a))
        #expect(h.contact(a).outcome == .abandoned(.left))
        #expect(h.contact(a).enqueuedAt == nil)
    }
}
