import ChatCore
import ChatProtocol
import Testing
@testable import ChatServer

/// Client message ids: a message sent again with the id it had is acknowledged with
/// the place it was first stored (`duplicate: true`) and neither recorded nor relayed
/// a second time (protocol/README.md, "Conversations, sequence numbers and delivery").
struct ServiceDeskDedupTests {
    @Test func aResentCustomerMessageIsAckedAsADuplicateOfTheFirst() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"하나"}"#)
        let first = try #require(rig.messages(chat.customer).compactMap(\.ackValue).first?.stored)
        _ = rig.messages(chat.agent)
        rig.clock.advance(by: .seconds(3))
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"하나"}"#)
        let again = try #require(rig.messages(chat.customer).compactMap(\.ackValue).first?.stored)
        #expect(again.duplicate == true)
        #expect(again.seq == first.seq)
        #expect(again.ts == first.ts)
        #expect(again.conversation == first.conversation)
        #expect(rig.messages(chat.agent).isEmpty)
        #expect(rig.transcripts.lastSeq(of: try #require(rig.conversationID(chat.wire))) == first.seq)
    }

    @Test func aResentAgentMessageIsAckedAsADuplicateAndNotRelayed() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        let send = #"{"type":"send","id":"r1","conversation":"\#(chat.wire)","text":"안녕하세요"}"#
        rig.agent(chat.agent, send)
        let first = try #require(rig.messages(chat.agent).compactMap(\.ackValue).first?.stored)
        #expect(rig.messages(chat.customer).compactMap(\.chatMessage).count == 1)
        rig.agent(chat.agent, send)
        let again = try #require(rig.messages(chat.agent).compactMap(\.ackValue).first?.stored)
        #expect(again.duplicate == true)
        #expect(again.seq == first.seq)
        #expect(rig.messages(chat.customer).isEmpty)
    }

    @Test func theSameIDFromTheOtherSideIsANewMessage() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"x1","text":"고객"}"#)
        rig.agent(chat.agent, #"{"type":"send","id":"x1","conversation":"\#(chat.wire)","text":"상담원"}"#)
        let customerAck = try #require(rig.messages(chat.customer).compactMap(\.ackValue).first?.stored)
        let agentAck = try #require(rig.messages(chat.agent).compactMap(\.ackValue).first?.stored)
        #expect(customerAck.duplicate == nil)
        #expect(agentAck.duplicate == nil)
        #expect(agentAck.seq == customerAck.seq + 1)
    }

    @Test func aDifferentIDIsANewMessageEvenWithTheSameText() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"네"}"#)
        rig.customer(chat.customer, #"{"type":"send","id":"m2","text":"네"}"#)
        let acks = rig.messages(chat.customer).compactMap(\.ackValue).compactMap(\.stored)
        #expect(acks.map(\.seq) == [2, 3])
        #expect(rig.messages(chat.agent).compactMap(\.chatMessage).count == 2)
    }

    @Test func aMessageResentAfterAResumeIsStillADuplicate() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"끊기기 전에"}"#)
        let first = try #require(rig.messages(chat.customer).compactMap(\.ackValue).first?.stored)
        rig.close(chat.customer)  // the ack may never have arrived: the widget sends it again
        let again = rig.connect()
        rig.customer(again, #"{"type":"hello","session":"\#(chat.token)","last_seq":1}"#)
        _ = rig.messages(again)
        _ = rig.messages(chat.agent)
        rig.customer(again, #"{"type":"send","id":"m1","text":"끊기기 전에"}"#)
        let resent = try #require(rig.messages(again).compactMap(\.ackValue).first?.stored)
        #expect(resent.duplicate == true)
        #expect(resent.seq == first.seq)
        #expect(rig.messages(chat.agent).compactMap(\.chatMessage).isEmpty)
    }
}
