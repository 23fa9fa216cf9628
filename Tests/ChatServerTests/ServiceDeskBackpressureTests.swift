import ChatCore
import ChatProtocol
import ChatStorage
import Testing
@testable import ChatServer

/// A transcript store that can say it is behind (like a disk that cannot keep up):
/// everything else is `MemoryTranscripts`. Counts the refusals it is told of.
final class BackedUpTranscripts: TranscriptStore {
    let memory = MemoryTranscripts()
    var accepting = true
    private(set) var refused = 0

    var boot: UInt32 { memory.boot }
    func adopt(boot: UInt32) { memory.adopt(boot: boot) }
    func lastSeq(of conversation: ConversationID) -> Int64 { memory.lastSeq(of: conversation) }
    func chainHead(of key: TranscriptKey) -> ChainHead? { memory.chainHead(of: key) }
    func appendMarker(_ event: ConversationEvent, to key: TranscriptKey) { memory.appendMarker(event, to: key) }
    func scrub(_ key: TranscriptKey, through: Int64) throws(TranscriptLog.EraseError) -> String? {
        try memory.scrub(key, through: through)
    }
    func append(_ event: RecordedEvent, to conversation: ConversationID) { memory.append(event, to: conversation) }
    func append(relayed bytes: [UInt8], seq: Int64, ts: Int64, client: RelayClientID?, to conversation: ConversationID) {
        memory.append(relayed: bytes, seq: seq, ts: ts, client: client, to: conversation)
    }
    func events(of conversation: ConversationID, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool) {
        memory.events(of: conversation, after: seq, limit: limit)
    }
    func message(in conversation: ConversationID, clientID: String, from author: Author) -> ChatMessage? {
        memory.message(in: conversation, clientID: clientID, from: author)
    }
    func forget(_ conversation: ConversationID) { memory.forget(conversation) }
    func lastSeq(of key: TranscriptKey) -> Int64 { memory.lastSeq(of: key) }
    func events(of key: TranscriptKey, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool) {
        memory.events(of: key, after: seq, limit: limit)
    }
    func append(_ event: RecordedEvent, to key: TranscriptKey) { memory.append(event, to: key) }
    var storedKeys: [TranscriptKey] { memory.storedKeys }
    func accepts(from sender: MessageBudgets.Owner) -> Bool { accepting }
    func charge(_ sender: MessageBudgets.Owner) {}
    func refusedOne() { refused += 1 }
    func commit() -> UInt64? { nil }
}

/// Backpressure from the transcript store: a message it cannot take now is refused
/// with `rate_limited` (not fatal), neither recorded nor relayed, and counted.
struct ServiceDeskBackpressureTests {
    @Test func aMessageTheStoreCannotTakeIsRefusedAndCounted() throws {
        let store = BackedUpTranscripts()
        let rig = try DeskRig(transcripts: store)
        let chat = rig.conversation()
        store.accepting = false
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"지금 보내요"}"#)
        let error = try #require(rig.messages(chat.customer).compactMap(\.errorReport).first)
        #expect(error.code == .rateLimited)
        #expect(!error.fatal)
        #expect(error.id == "m1")
        #expect(rig.messages(chat.agent).isEmpty)
        #expect(store.refused == 1)
        #expect(store.lastSeq(of: try #require(rig.conversationID(chat.wire))) == 1)

        store.accepting = true  // sent again once the store caught up: recorded as new
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"지금 보내요"}"#)
        let stored = try #require(rig.messages(chat.customer).compactMap(\.ackValue).first?.stored)
        #expect(stored.duplicate == nil)
        #expect(stored.seq == 2)
        #expect(rig.messages(chat.agent).compactMap(\.chatMessage).count == 1)
    }
}
