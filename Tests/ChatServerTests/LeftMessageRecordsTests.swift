import ChatCore
import ChatProtocol
import ChatStorage
import Testing
@testable import ChatServer

struct LeftMessageRecordsTests {
    @Test func aRecordKeyRoundTripsThroughItsWireForm() {
        let key = LeftMessageRecords.key(boot: 3, number: 7)
        #expect(LeftMessageRecords.isLeftMessage(key))
        #expect(LeftMessageRecords.wireID(key) == "m-3-7")
        #expect(LeftMessageRecords.key("m-3-7") == key)
        #expect(!LeftMessageRecords.isLeftMessage(TranscriptKey(boot: 3, number: 7)))
    }

    @Test func onlyTheExactFormNamesARecord() {
        for text in ["m-", "m-3", "m-3-", "m-03-7", "m-3-07", "c-3-7", "M-3-7", "m-3-7-1", "m-3-4611686018427387904"] {
            #expect(LeftMessageRecords.key(text) == nil, "\(text)")
        }
    }

    @Test func theEventRoundTripsThroughItsJSON() throws {
        let event = ConversationEvent.messageLeft(MessageLeft(
            conversation: "m-3-7", seq: 1, ts: 1_777_827_600_000, queue: "returns", text: "교환 신청\n연락 주세요",
            replyTo: "haneul@example.com", customer: CustomerCard(language: .ko, name: "김하늘", orderNumber: "2026050412345"),
            clientID: "l1"))
        let bytes = ServerMessage.event(event).encoded()
        #expect(try ServerMessage.decode(bytes) == .event(event))
    }
}
