import ChatCore
import ChatProtocol
import Testing
@testable import ChatServer

struct MemoryTranscriptsTests {
    let conversation = ConversationID(9)

    func message(_ seq: Int64, from author: Author = .customer, id: String? = nil) -> ConversationEvent {
        .message(ChatMessage(conversation: "c-9", seq: seq, ts: 1_000 + seq, from: author,
                             agentName: author == .agent ? "박민지" : nil, text: "m\(seq)", clientID: id))
    }

    @Test func eventsAreNumberedFromOneAndReadAfterACursor() {
        let store = MemoryTranscripts()
        #expect(store.lastSeq(of: conversation) == 0)
        for seq in 1...5 { store.append(message(Int64(seq)), to: conversation) }
        #expect(store.lastSeq(of: conversation) == 5)
        let page = store.events(of: conversation, after: 2, limit: 2)
        #expect(page.events.map(\.seq) == [3, 4])
        #expect(page.more)
        #expect(store.events(of: conversation, after: 4, limit: 200).events.map(\.seq) == [5])
        #expect(store.events(of: conversation, after: 5, limit: 200).events.isEmpty)
        #expect(store.events(of: ConversationID(1), after: 0, limit: 200).events.isEmpty)
    }

    @Test func aClientIDIsFoundPerAuthor() {
        let store = MemoryTranscripts()
        store.append(message(1, from: .customer, id: "m-1"), to: conversation)
        store.append(message(2, from: .agent, id: "m-1"), to: conversation)
        #expect(store.message(in: conversation, clientID: "m-1", from: .customer)?.seq == 1)
        #expect(store.message(in: conversation, clientID: "m-1", from: .agent)?.seq == 2)
        #expect(store.message(in: conversation, clientID: "m-2", from: .customer) == nil)
    }

    @Test func aForgottenConversationIsGone() {
        let store = MemoryTranscripts()
        store.append(message(1, id: "a"), to: conversation)
        store.forget(conversation)
        #expect(store.lastSeq(of: conversation) == 0)
        #expect(store.message(in: conversation, clientID: "a", from: .customer) == nil)
    }
}
