import ChatProtocol
import Testing
@testable import ChatServer

/// What an erasure hides: the customer's words up to its `through_seq`, nothing else.
struct ErasureTests {
    @Test func customerTextAndRatingCommentsGoAgentTextAndEventsStay() {
        let customer = ConversationEvent.message(ChatMessage(conversation: "c-1-1", seq: 1, ts: 1, from: .customer, text: "900101-1******"))
        let agent = ConversationEvent.message(ChatMessage(conversation: "c-1-1", seq: 2, ts: 2, from: .agent, agentName: "박민지", text: "네"))
        let rated = ConversationEvent.rated(Rated(conversation: "c-1-1", seq: 3, ts: 3, score: 4, comment: "좋아요"))
        let later = ConversationEvent.message(ChatMessage(conversation: "c-1-1", seq: 5, ts: 5, from: .customer, text: "또 문의"))
        guard case .message(let m) = Erasure.redacted(customer, through: 4) else { Issue.record("not a message"); return }
        #expect(m.text == "[erased]")
        #expect(Erasure.redacted(agent, through: 4) == agent)
        guard case .rated(let r) = Erasure.redacted(rated, through: 4) else { Issue.record("not a rating"); return }
        #expect(r.comment == nil && r.score == 4)
        #expect(Erasure.redacted(later, through: 4) == later)
        #expect(Erasure.redacted(customer, through: nil) == customer)
    }

    @Test func theRightsPathsAreParsed() {
        #expect(TranscriptPath.parseRight("/v1/conversations/c-1-2/subject")! == ("c-1-2", .subject))
        #expect(TranscriptPath.parseRight("/v1/conversations/c-1-2/erase")! == ("c-1-2", .erase))
        #expect(TranscriptPath.parseRight("/v1/conversations/c-1-2/transcript") == nil)
        #expect(TranscriptPath.parseRight("/v1/conversations//erase") == nil)
    }
}
