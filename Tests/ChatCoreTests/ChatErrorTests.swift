import Testing
import ChatCore

struct ChatErrorTests {
    @Test func everyCodeIsUniqueSnakeCaseASCII() {
        let codes = ChatError.allExamples.map(\.code)
        #expect(Set(codes).count == codes.count)
        for code in codes {
            #expect(code.allSatisfy { ($0 >= "a" && $0 <= "z") || $0 == "_" }, "\(code)")
        }
    }

    @Test func codesNamedByTheWireProtocolAreStable() {
        #expect(ChatError.queueFull.code == "queue_full")
        #expect(ChatError.notAssigned.code == "not_assigned")
        #expect(ChatError.unknownQueue.code == "unknown_queue")
        #expect(ChatError.invalidRating.code == "invalid_rating")
        #expect(ChatError.invalidState("x").code == "invalid_state")
    }

    @Test func messagesCarryTheDetail() {
        #expect(ChatError.unknownTimeZone("Mars/Base").message.contains("Mars/Base"))
        #expect(ChatError.queueFull.description.hasPrefix("queue_full: "))
    }
}
