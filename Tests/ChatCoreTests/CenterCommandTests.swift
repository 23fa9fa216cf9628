import Testing
import ChatCore

/// `ContactCenter.apply(_:)`: each command value runs the method it names (the replica
/// tests cannot tell: two replicas that swapped accept and decline alike would still
/// agree), and a refusal comes back as an outcome.
struct CenterCommandTests {
    @Test func eachCommandRunsTheMethodItNames() throws {
        let clock = ManualClock()
        var configuration = CenterConfiguration()
        configuration.routing = .offer(timeout: .seconds(10))
        configuration.faqEntries = FAQIndexTests.entries
        let center = try ContactCenter(configuration: configuration, clock: clock)
        let orders = QueueID(0)

        let kim = try #require(center.apply(.addAgent(AgentProfile(handle: "kim", displayName: "Kim", skills: [orders]))).createdAgent)
        let lee = try #require(center.apply(.addAgent(AgentProfile(handle: "lee", displayName: "Lee", skills: [orders]))).createdAgent)
        #expect(center.agentID(forHandle: "lee") == lee)
        #expect(center.apply(.setStatus(kim, .available)).notices == [.agentStatusChanged(kim, .available)])

        // FAQ first, then an agent after all: offered to kim, who declines.
        let asking = center.apply(.customerArrives(ContactRequest(queue: orders, preChat: PreChat(firstMessage: "배송이 언제 와요?"))))
        let first = try #require(asking.createdContact)
        #expect(center.contact(first)?.state == .consultingFAQ)
        let firstOffer = try #require(offers(in: center.apply(.continueAfterFAQ(first))).first)
        #expect(firstOffer.agent == kim)
        #expect(center.apply(.declineOffer(firstOffer.id, by: kim)).notices.contains(.offerWithdrawn(firstOffer, .declined)))

        // Lee comes on and accepts; replies; hands over to kim, who ends it; it is rated.
        let secondOffer = try #require(offers(in: center.apply(.setStatus(lee, .available))).first)
        #expect(secondOffer.agent == lee && secondOffer.contact == first)
        let accepted = center.apply(.acceptOffer(secondOffer.id, by: lee)).notices
        let conversation = try #require(accepted.compactMap { if case .assigned(let id, _, _) = $0 { id } else { nil } }.first)
        #expect(center.apply(.agentReplied(in: conversation, by: lee)).notices == [.answered(conversation, first)])
        #expect(center.apply(.transfer(conversation, to: .agent(kim), by: lee)).notices
            .contains(.transferred(conversation, first, from: lee, to: .agent(kim))))
        #expect(center.apply(.endConversation(conversation, by: kim)).notices
            .contains(.conversationEnded(conversation, first, agent: kim, .agentEnded)))
        #expect(center.apply(.rate(conversation, by: first, score: 4, comment: "good")).notices.count == 1)
        #expect(center.conversation(conversation)?.rating?.score == 4)

        // "This solved it", with the entry named.
        let solved = try #require(center.apply(.customerArrives(
            ContactRequest(queue: orders, preChat: PreChat(firstMessage: "환불은 언제 되나요")))).createdContact)
        #expect(center.apply(.resolveWithFAQ(solved, entryID: "refund-time")).notices.contains(.contactFinished(solved)))
        #expect(center.contact(solved)?.deflectedBy == "refund-time")

        // A customer drops, comes back, then leaves.
        let third = try #require(center.apply(.customerArrives(ContactRequest(queue: orders))).createdContact)
        clock.advance(by: .seconds(1))
        #expect(center.apply(.customerDisconnected(third)).error == nil)
        #expect(center.contact(third)?.disconnectedAt == clock.now)
        #expect(center.apply(.customerReconnected(third)).error == nil)
        #expect(center.contact(third)?.disconnectedAt == nil)
        #expect(center.apply(.customerLeaves(third)).notices.contains(.contactFinished(third)))

        // An agent drops and comes back.
        #expect(center.apply(.agentDisconnected(kim)).error == nil)
        #expect(center.agent(kim)?.droppedAt == clock.now)
        #expect(center.apply(.agentReconnected(kim)).error == nil)
        #expect(center.agent(kim)?.droppedAt == nil)

        // Nobody on duty: closed out, then a message left, and one restored.
        _ = center.apply(.setStatus(kim, .offline))
        _ = center.apply(.setStatus(lee, .offline))
        let turnedAway = center.apply(.customerArrives(ContactRequest(queue: orders)))
        let away = try #require(turnedAway.createdContact)
        #expect(turnedAway.notices.contains(.leaveMessageOffered(away, .unattended)))
        let left = center.apply(.leaveMessage(after: away, text: "전화 주세요"))
        let email = try #require(left.createdContact)
        #expect(left.notices == [.messageStored(email)])
        #expect(center.contact(email)?.follows == away)
        let restored = center.apply(.restoreMessage(ContactRequest(queue: orders), text: "복구된 메시지"))
        let restoredEmail = try #require(restored.createdContact)
        #expect(center.contact(restoredEmail)?.message == "복구된 메시지")

        #expect(center.apply(.fireDueTimers) == .applied(notices: [], created: nil))
    }

    @Test func aRefusalIsAnOutcome() throws {
        let center = try ContactCenter(clock: ManualClock())
        let outcome = center.apply(.acceptOffer(OfferID(999), by: AgentID(0)))
        #expect(outcome == .refused(.unknownAgent))
        #expect(outcome.error == .unknownAgent)
        #expect(outcome.notices.isEmpty)
        #expect(outcome.createdContact == nil && outcome.createdAgent == nil)
    }

    /// A refused arrival still counts as `queue_full`: refused commands belong in the
    /// log as much as accepted ones.
    @Test func aQueueFullRefusalIsStillCounted() throws {
        var configuration = CenterConfiguration()
        configuration.queues[0].maxWaiting = 0
        let center = try ContactCenter(configuration: configuration, clock: ManualClock())
        let kim = try #require(center.apply(.addAgent(AgentProfile(handle: "kim", displayName: "Kim", skills: [QueueID(0)],
                                                                 capacity: Capacity(chat: 0, voice: 0)))).createdAgent)
        _ = center.apply(.setStatus(kim, .available))
        #expect(center.apply(.customerArrives(ContactRequest(queue: QueueID(0)))) == .refused(.queueFull))
        #expect(center.status(of: QueueID(0))?.counters.rejectedFull == 1)
    }

    private func offers(in outcome: CommandOutcome) -> [Offer] {
        outcome.notices.compactMap { if case .offered(let offer) = $0 { offer } else { nil } }
    }
}
