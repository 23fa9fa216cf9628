import ChatCore
import ChatProtocol
import Testing
@testable import ChatServer

/// Receipts: `delivered` and `read` are cumulative per side, so only a higher seq is
/// passed on; each is acknowledged; a seq past the conversation's end is refused.
struct ServiceDeskReceiptTests {
    /// A conversation with the agent's greeting at seq 2 and its reply at seq 3.
    func chatWithTwoAgentMessages(_ rig: DeskRig) -> Chat {
        let chat = rig.conversation()
        rig.agent(chat.agent, #"{"type":"send","id":"r1","conversation":"\#(chat.wire)","text":"안녕하세요"}"#)
        rig.agent(chat.agent, #"{"type":"send","id":"r2","conversation":"\#(chat.wire)","text":"무엇을 도와드릴까요?"}"#)
        _ = rig.messages(chat.agent)
        _ = rig.messages(chat.customer)
        return chat
    }

    @Test func aCustomersReadReceiptIsPassedToTheAgent() throws {
        let rig = try DeskRig()
        let chat = chatWithTwoAgentMessages(rig)
        rig.customer(chat.customer, #"{"type":"receipt","id":"k1","kind":"read","seq":3}"#)
        #expect(rig.messages(chat.customer).compactMap(\.ackValue).map(\.id) == ["k1"])
        let receipt = try #require(rig.messages(chat.agent).compactMap(\.receiptValue).first)
        #expect(receipt.conversation == chat.wire)
        #expect(receipt.from == .customer)
        #expect(receipt.kind == .read)
        #expect(receipt.seq == 3)
        #expect(receipt.ts == rig.clock.wallNow.millisecondsSince1970)
    }

    @Test func theSameReceiptTwiceIsAckedButPassedOnOnce() throws {
        let rig = try DeskRig()
        let chat = chatWithTwoAgentMessages(rig)
        rig.customer(chat.customer, #"{"type":"receipt","id":"k1","kind":"delivered","seq":3}"#)
        rig.customer(chat.customer, #"{"type":"receipt","id":"k2","kind":"delivered","seq":3}"#)
        #expect(rig.messages(chat.customer).compactMap(\.ackValue).map(\.id) == ["k1", "k2"])
        #expect(rig.messages(chat.agent).compactMap(\.receiptValue).count == 1)
    }

    @Test func aLowerSeqAfterAHigherIsNotNews() throws {
        let rig = try DeskRig()
        let chat = chatWithTwoAgentMessages(rig)
        rig.customer(chat.customer, #"{"type":"receipt","kind":"read","seq":3}"#)
        rig.customer(chat.customer, #"{"type":"receipt","kind":"read","seq":2}"#)
        #expect(rig.messages(chat.agent).compactMap(\.receiptValue).map(\.seq) == [3])
    }

    @Test func deliveredAndReadAreCountedApart() throws {
        let rig = try DeskRig()
        let chat = chatWithTwoAgentMessages(rig)
        rig.customer(chat.customer, #"{"type":"receipt","kind":"delivered","seq":3}"#)
        rig.customer(chat.customer, #"{"type":"receipt","kind":"read","seq":2}"#)
        rig.customer(chat.customer, #"{"type":"receipt","kind":"read","seq":3}"#)
        let passed = rig.messages(chat.agent).compactMap(\.receiptValue)
        #expect(passed.map(\.kind) == [.delivered, .read, .read])
        #expect(passed.map(\.seq) == [3, 2, 3])
    }

    @Test func anAgentsReceiptReachesTheCustomer() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"문의드려요"}"#)
        _ = rig.messages(chat.customer)
        rig.agent(chat.agent, #"{"type":"receipt","id":"k","conversation":"\#(chat.wire)","kind":"read","seq":2}"#)
        #expect(rig.messages(chat.agent).compactMap(\.ackValue).map(\.id) == ["k"])
        let receipt = try #require(rig.messages(chat.customer).compactMap(\.receiptValue).first)
        #expect(receipt.from == .agent)
        #expect(receipt.seq == 2)
    }

    @Test func aReceiptPastTheLastEventIsRefused() throws {
        let rig = try DeskRig()
        let chat = chatWithTwoAgentMessages(rig)
        rig.customer(chat.customer, #"{"type":"receipt","id":"k","kind":"read","seq":4}"#)
        let error = try #require(rig.messages(chat.customer).compactMap(\.errorReport).first)
        #expect(error.code == .invalidField)
        #expect(error.field == "seq")
        #expect(rig.messages(chat.agent).isEmpty)
    }

    @Test func aReceiptWithoutAConversationIsRefused() throws {
        let rig = try DeskRig()
        let (customer, _) = rig.helloCustomer()
        rig.customer(customer, #"{"type":"receipt","id":"k","kind":"read","seq":1}"#)
        #expect(rig.messages(customer).compactMap(\.errorReport).first?.code == .invalidState)
    }

    @Test func receiptMarksSurviveAResume() throws {
        let rig = try DeskRig()
        let chat = chatWithTwoAgentMessages(rig)
        rig.customer(chat.customer, #"{"type":"receipt","kind":"read","seq":3}"#)
        _ = rig.messages(chat.agent)
        rig.close(chat.customer)
        let again = rig.connect()
        rig.customer(again, #"{"type":"hello","session":"\#(chat.token)","last_seq":3}"#)
        rig.customer(again, #"{"type":"receipt","kind":"read","seq":3}"#)
        #expect(rig.messages(chat.agent).compactMap(\.receiptValue).isEmpty)
    }
}
