import Testing
import ChatCore

/// Business hours and unattended queues: "leave a message" instead of a line, closing
/// time closes out the line, and left messages reach agents when they come on duty.
struct ContactCenterHoursTests {
    /// Weekdays 09:00–18:00 plus a Friday night shift to 02:00, Seoul; 2025-01-28 is a holiday.
    static let hours = BusinessHoursTests.hours

    static func harness(at wall: WallTime) throws -> Harness {
        try Harness(wall: wall) { $0.businessHours = hours }
    }

    @Test func customersArrivingAfterHoursAreOfferedToLeaveAMessage() throws {
        let h = try Self.harness(at: BusinessHoursTests.seoul(6, "19:00"))
        try h.agent("kim")
        #expect(!h.center.isOpen)
        let a = try h.arrive()
        #expect(h.log.suffix(2) == [.leaveMessageOffered(a, .closed), .contactFinished(a)])
        #expect(h.contact(a).outcome == .abandoned(.closed))
        #expect(h.contact(a).enqueuedAt == nil)
        #expect(h.center.status(of: .orders)?.counters.closedOut == 1)
    }

    @Test func aHolidayIsClosedAllDay() throws {
        let h = try Self.harness(at: BusinessHoursTests.seoul(28, "11:00"))
        try h.agent("kim")
        let a = try h.arrive()
        #expect(h.log.contains(.leaveMessageOffered(a, .closed)))
    }

    @Test func theNightShiftTakesCustomersPastMidnight() throws {
        let h = try Self.harness(at: BusinessHoursTests.seoul(10, "23:50"))  // Friday
        let kim = try h.agent("kim", chat: 1)
        try h.arrive()
        h.advance(seconds: 20 * 60)  // Saturday 00:10
        #expect(h.center.isOpen)
        let late = try h.arrive()
        #expect(h.center.placeInLine(of: late) == 1)
        #expect(h.center.agent(kim)?.heldChats == 1)
    }

    @Test func closingTimeClosesOutEveryoneStillWaiting() throws {
        let h = try Self.harness(at: BusinessHoursTests.seoul(11, "01:55"))  // Saturday, night shift
        let kim = try h.agent("kim", chat: 1)
        let served = try h.arrive()
        let waiting = try h.arrive()
        #expect(h.center.nextDeadline == h.clock.now.advanced(by: .seconds(5 * 60)))
        h.advance(seconds: 4 * 60)
        #expect(h.center.placeInLine(of: waiting) == 1)
        let notices = h.advance(seconds: 60)  // 02:00
        #expect(notices.contains(.leaveMessageOffered(waiting, .closed)))
        #expect(h.contact(waiting).outcome == .abandoned(.closed))
        #expect(h.holder(of: served) == kim)  // conversations in progress go on
        // The next opening is Monday 09:00.
        let monday = BusinessHoursTests.seoul(13, "09:00")
        let wait = monday.millisecondsSince1970 - h.clock.wallNow.millisecondsSince1970
        #expect(h.center.nextDeadline == Instant(milliseconds: h.clock.now.milliseconds + wait))
    }

    @Test func aQueueWithNobodyOnDutyOffersToLeaveAMessage() throws {
        let h = try Harness()
        try h.agent("kim", [.orders])
        try h.agent("lee", [.returns], status: .away)  // away still counts as on duty
        let a = try h.arrive(.products)
        #expect(h.log.contains(.leaveMessageOffered(a, .unattended)))
        let b = try h.arrive(.returns)
        #expect(h.center.placeInLine(of: b) == 1)
    }

    @Test func aLeftMessageWaitsForAnAgentToComeOnDuty() throws {
        let h = try Self.harness(at: BusinessHoursTests.seoul(6, "20:00"))
        let kim = try h.agent("kim", [.orders], status: .offline)
        let a = try h.arrive()
        let (email, notices) = try h.center.leaveMessage(after: a, text: "내일 연락 주세요. 주문번호 2024-0001")
        h.run(notices)
        #expect(notices.contains(.messageStored(email)))
        let record = h.contact(email)
        #expect(record.channel == .email)
        #expect(record.follows == a)
        #expect(record.state == .messagePending)
        #expect(record.preChat.orderNumber == "2024-0001")
        #expect(h.center.pendingMessageCount == 1)
        #expect(throws: ChatError.invalidState("a message was already left")) {
            try h.center.leaveMessage(after: a, text: "again")
        }
        h.clock.advance(by: .seconds(13 * 3_600))  // 09:00 next day
        let delivered = h.run(try h.center.setStatus(kim, .available))
        #expect(delivered.contains(.messageDelivered(email, to: kim)))
        #expect(h.contact(email).outcome == .messageDelivered(kim))
        #expect(h.contact(email).assignedAt == h.clock.now)
        #expect(h.center.pendingMessageCount == 0)
    }

    @Test func anEmailContactIsHandedToAnAvailableAgentAtOnce() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let (email, notices) = try h.center.customerArrives(ContactRequest(
            queue: .orders, channel: .email, preChat: PreChat(firstMessage: "영수증 부탁드립니다")))
        #expect(notices.contains(.messageDelivered(email, to: kim)))
        #expect(h.center.agent(kim)?.heldChats == 0)  // messages take no slot
    }

    @Test func leftMessagesAreCheckedAndBounded() throws {
        let h = try Harness { $0.maxPendingMessages = 1; $0.maxMessageLength = 10 }
        let a = try h.arrive()  // nobody on duty: closed out
        #expect(throws: ChatError.emptyMessage) { try h.center.leaveMessage(after: a, text: "  \n") }
        #expect(throws: ChatError.messageTooLong) { try h.center.leaveMessage(after: a, text: "열한 글자가 넘는 메시지") }
        _ = try h.center.leaveMessage(after: a, text: "전화 주세요")
        let b = try h.arrive()
        #expect(throws: ChatError.mailboxFull) { try h.center.leaveMessage(after: b, text: "저도요") }
        try h.agent("kim")  // on duty: takes the pending message, serves the next arrival
        #expect(h.center.pendingMessageCount == 0)
        let served = try h.arrive()
        #expect(throws: ChatError.invalidState("a message can be left only after being closed out")) {
            try h.center.leaveMessage(after: served, text: "x")
        }
    }

    /// A message restored from the transcripts whose queue is no longer configured goes
    /// to the first queue instead of trapping (a logged restore would stop every replica).
    @Test func aRestoredMessageForAQueueNoLongerConfiguredGoesToTheFirstQueue() throws {
        let h = try Harness()
        let (email, notices) = h.center.restoreMessage(ContactRequest(queue: QueueID(40)), text: "복구된 메시지")
        #expect(notices == [.messageStored(email)])
        #expect(h.contact(email).queue == .orders)
        #expect(h.center.status(of: .orders)?.pendingMessages == 1)
    }
}
