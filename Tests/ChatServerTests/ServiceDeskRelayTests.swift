import ChatCore
import ChatProtocol
import Testing
@testable import ChatServer

/// The relay: a message is recorded with the next seq, acknowledged to its sender with
/// where it was stored, and passed to the other side; typing is passed on, not stored.
struct ServiceDeskRelayTests {
    @Test func customerMessageIsAckedWithItsPlaceAndRelayedToTheAgent() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"배송이 언제 와요?"}"#)
        let ack = try #require(rig.messages(chat.customer).compactMap(\.ackValue).first)
        #expect(ack.id == "m1")
        let stored = try #require(ack.stored)
        #expect(stored.conversation == chat.wire)
        #expect(stored.duplicate == nil)
        let relayed = try #require(rig.messages(chat.agent).compactMap(\.chatMessage).first)
        #expect(relayed.text == "배송이 언제 와요?")
        #expect(relayed.from == .customer)
        #expect(relayed.seq == stored.seq)
        #expect(relayed.ts == stored.ts)
        #expect(relayed.clientID == "m1")
    }

    @Test func agentMessageIsAckedAndRelayedToTheCustomerWithTheAgentsName() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.agent(chat.agent, #"{"type":"send","id":"r1","conversation":"\#(chat.wire)","text":"오늘 도착합니다"}"#)
        let stored = try #require(rig.messages(chat.agent).compactMap(\.ackValue).first?.stored)
        let relayed = try #require(rig.messages(chat.customer).compactMap(\.chatMessage).first)
        #expect(relayed.from == .agent)
        #expect(relayed.agentName == "김상담")
        #expect(relayed.seq == stored.seq)
    }

    @Test func eventsAreNumberedWithoutGapsAndRecordedInTheTranscript() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"하나"}"#)
        rig.agent(chat.agent, #"{"type":"send","id":"r1","conversation":"\#(chat.wire)","text":"둘"}"#)
        rig.customer(chat.customer, #"{"type":"send","id":"m2","text":"셋"}"#)
        let conversation = try #require(rig.conversationID(chat.wire))
        let events = rig.transcripts.events(of: conversation, after: 0, limit: 100).events
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        #expect(events.map(\.type) == ["agent_joined", "message", "message", "message"])
        let relayedToCustomer = rig.messages(chat.customer).compactMap(\.chatMessage)
        #expect(relayedToCustomer.map(\.seq) == [3])
        #expect(rig.messages(chat.agent).compactMap(\.chatMessage).map(\.seq) == [2, 4])
    }

    @Test func thePreChatMessageIsEventOneAndBothSidesSeeItBeforeAgentJoined() throws {
        let rig = try DeskRig()
        let agent = rig.signInAgent()
        let (customer, _) = rig.helloCustomer()
        rig.customer(customer, #"{"type":"start_chat","id":"s","queue":"orders","first_message":"환불 문의"}"#)
        let toAgent = rig.messages(agent).compactMap(\.eventValue)
        let toCustomer = rig.messages(customer).compactMap(\.eventValue)
        #expect(toAgent.map(\.type) == ["message", "agent_joined"])
        #expect(toAgent.map(\.seq) == [1, 2])
        #expect(toCustomer == toAgent)
        if case .message(let m)? = toAgent.first { #expect(m.text == "환불 문의") }
    }

    @Test func oneEventGoesToEveryRecipientAsTheSameBytes() throws {
        let rig = try DeskRig()
        let agent = rig.signInAgent()
        let (customer, _) = rig.helloCustomer()
        rig.customer(customer, #"{"type":"start_chat","id":"s","queue":"orders"}"#)
        func joinedBytes(_ connection: ConnectionID) -> [UInt8]? {
            rig.delivery.take(connection).lazy.compactMap { said -> [UInt8]? in
                if case .message(.event(.agentJoined), let bytes) = said { bytes } else { nil }
            }.first
        }
        let a = try #require(joinedBytes(agent))
        let c = try #require(joinedBytes(customer))
        #expect(a == c)
        // Encoded once: both recipients hold the very same storage, not equal copies.
        let same = a.withUnsafeBufferPointer { pa in c.withUnsafeBufferPointer { pc in pa.baseAddress == pc.baseAddress } }
        #expect(same)
    }

    @Test func typingIsPassedOnButNotRecorded() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        let conversation = try #require(rig.conversationID(chat.wire))
        let before = rig.transcripts.lastSeq(of: conversation)
        rig.customer(chat.customer, #"{"type":"typing","id":"t","active":true}"#)
        let typing = rig.messages(chat.agent).compactMap { if case .typing(let t) = $0 { t } else { nil } }
        #expect(typing == [Typing(conversation: chat.wire, from: .customer, active: true)])
        #expect(rig.messages(chat.customer).compactMap(\.ackValue).map(\.id) == ["t"])
        #expect(rig.transcripts.lastSeq(of: conversation) == before)
    }

    @Test func sendingBeforeAnAgentJoinedIsRefusedAndNothingIsRecorded() throws {
        let rig = try DeskRig()
        let (customer, _) = rig.helloCustomer()
        rig.customer(customer, #"{"type":"start_chat","id":"s","queue":"orders"}"#)  // nobody on duty
        _ = rig.messages(customer)
        rig.customer(customer, #"{"type":"send","id":"m1","text":"여보세요"}"#)
        let error = try #require(rig.messages(customer).compactMap(\.errorReport).first)
        #expect(error.code == .invalidState)
        #expect(error.id == "m1")
        #expect(!error.fatal)
    }

    @Test func aMessageOverTheLengthLimitIsRefusedAndNotRelayed() throws {
        let rig = try DeskRig { $0.center.maxMessageLength = 5 }
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"여섯 글자요"}"#)
        let error = try #require(rig.messages(chat.customer).compactMap(\.errorReport).first)
        #expect(error.code == .messageTooLong)
        #expect(error.field == "text")
        #expect(rig.messages(chat.agent).isEmpty)
        #expect(rig.transcripts.lastSeq(of: try #require(rig.conversationID(chat.wire))) == 1)
    }

    @Test func anAgentMayNotSendInAConversationItDoesNotHold() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        let lee = rig.signInAgent("lee")
        rig.agent(lee, #"{"type":"send","id":"r1","conversation":"\#(chat.wire)","text":"끼어들기"}"#)
        let error = try #require(rig.messages(lee).compactMap(\.errorReport).first)
        #expect(error.code == .notAssigned)
        #expect(error.field == "conversation")
        #expect(rig.messages(chat.customer).isEmpty)
    }

    @Test func aMessageBeforeHelloIsRefusedAndTheConnectionClosed() throws {
        let rig = try DeskRig()
        let connection = rig.connect()
        rig.customer(connection, #"{"type":"send","id":"m1","text":"안녕"}"#)
        let said = rig.delivery.take(connection)
        guard case .message(.error(let error), _)? = said.first else {
            Issue.record("no error: \(said)")
            return
        }
        #expect(error.code == .notAuthenticated)
        #expect(error.fatal)
        guard case .close(let code)? = said.last else {
            Issue.record("no close: \(said)")
            return
        }
        #expect(code == .notAuthenticated)
    }

    @Test func endingTellsBothSidesWithOneRecordedEvent() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"end","id":"e"}"#)
        let toAgent = rig.messages(chat.agent).compactMap(\.eventValue)
        let toCustomer = rig.messages(chat.customer).compactMap(\.eventValue)
        guard case .ended(let ended)? = toAgent.last else {
            Issue.record("the agent was not told: \(toAgent)")
            return
        }
        #expect(ended.reason == .customerLeft)
        #expect(toCustomer.last == toAgent.last)
        let conversation = try #require(rig.conversationID(chat.wire))
        #expect(rig.transcripts.lastSeq(of: conversation) == ended.seq)
    }

    @Test func timestampsFollowTheInjectedClock() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"하나"}"#)
        let first = try #require(rig.messages(chat.customer).compactMap(\.ackValue).first?.stored)
        #expect(first.ts == rig.clock.wallNow.millisecondsSince1970)
        rig.clock.advance(by: .milliseconds(2_500))
        rig.customer(chat.customer, #"{"type":"send","id":"m2","text":"둘"}"#)
        let second = try #require(rig.messages(chat.customer).compactMap(\.ackValue).first?.stored)
        #expect(second.ts - first.ts == 2_500)
    }
}
