import Testing
import ChatCore

/// Ratings: 1 to 5 with an optional comment, after the end, once, by the customer.
struct ContactCenterRatingTests {
    static func endedConversation() throws -> (Harness, ConversationID, ContactID) {
        let h = try Harness { $0.maxCommentLength = 20 }
        let kim = try h.agent("kim")
        let a = try h.arrive()
        let conversation = try #require(h.conversation(of: a))
        h.run(try h.center.endConversation(conversation, by: kim))
        return (h, conversation, a)
    }

    @Test func aRatingIsStoredWithTheConversation() throws {
        let (h, conversation, a) = try Self.endedConversation()
        h.clock.advance(by: .seconds(5))
        let notices = h.run(try h.center.rate(conversation, by: a, score: 5, comment: "친절했어요"))
        let rating = Rating(score: 5, comment: "친절했어요", at: h.clock.now)
        #expect(notices == [.rated(conversation, rating)])
        #expect(h.center.conversation(conversation)?.rating == rating)
    }

    @Test func scoresOutsideOneToFiveAreRejected() throws {
        let (h, conversation, a) = try Self.endedConversation()
        for score in [0, 6, -1, 100] {
            #expect(throws: ChatError.invalidRating) { try h.center.rate(conversation, by: a, score: score) }
        }
        #expect(h.center.conversation(conversation)?.rating == nil)
        _ = try h.center.rate(conversation, by: a, score: 1, comment: "")
        #expect(h.center.conversation(conversation)?.rating?.comment == nil)
    }

    @Test func aConversationIsRatedOnceAfterItEnds() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let a = try h.arrive()
        let conversation = try #require(h.conversation(of: a))
        #expect(throws: ChatError.conversationOpen) { try h.center.rate(conversation, by: a, score: 4) }
        h.run(try h.center.endConversation(conversation, by: kim))
        _ = try h.center.rate(conversation, by: a, score: 4)
        #expect(throws: ChatError.alreadyRated) { try h.center.rate(conversation, by: a, score: 5) }
    }

    @Test func onlyTheConversationsOwnCustomerMayRateIt() throws {
        let (h, conversation, _) = try Self.endedConversation()
        let other = try h.arrive()
        #expect(throws: ChatError.unknownConversation) { try h.center.rate(conversation, by: other, score: 3) }
    }

    @Test func longCommentsAreRejected() throws {
        let (h, conversation, a) = try Self.endedConversation()
        #expect(throws: ChatError.commentTooLong) {
            try h.center.rate(conversation, by: a, score: 3, comment: String(repeating: "좋", count: 21))
        }
    }

    @Test func theAgentsFirstReplyIsStampedOnce() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let lee = try h.agent("lee")
        let a = try h.arrive()
        let conversation = try #require(h.conversation(of: a))
        h.clock.advance(by: .seconds(7))
        _ = try h.center.agentReplied(in: conversation, by: kim)
        h.clock.advance(by: .seconds(7))
        _ = try h.center.agentReplied(in: conversation, by: kim)
        #expect(h.contact(a).firstAgentReplyAt == Instant(milliseconds: 8_000))
        #expect(h.center.conversation(conversation)?.firstAgentReplyAt == Instant(milliseconds: 8_000))
        #expect(throws: ChatError.notAssigned) { try h.center.agentReplied(in: conversation, by: lee) }
        #expect(throws: ChatError.notAssigned) { try h.center.endConversation(conversation, by: lee) }
    }
}
