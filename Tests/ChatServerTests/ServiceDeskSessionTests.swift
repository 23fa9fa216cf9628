import ChatCore
import ChatProtocol
import Testing
@testable import ChatServer

/// Customer sessions: a token that outlives connections, resumption within the grace
/// period with what was missed, and forgetting after it.
struct ServiceDeskSessionTests {
    @Test func helloWithoutASessionOpensANewOne() throws {
        let rig = try DeskRig()
        let connection = rig.connect()
        rig.customer(connection, #"{"type":"hello","id":"h","language":"en"}"#)
        let welcome = try #require(rig.messages(connection).first?.welcomeValue)
        #expect(welcome.role == .customer)
        #expect(!welcome.resumed)
        let token = try #require(welcome.session)
        #expect(rig.desk.sessions[token]?.language == .en)
    }

    @Test func aSecondHelloOnTheSameConnectionIsRefused() throws {
        let rig = try DeskRig()
        let (connection, _) = rig.helloCustomer()
        rig.customer(connection, #"{"type":"hello","id":"h2"}"#)
        #expect(rig.messages(connection).compactMap(\.errorReport).first?.code == .invalidState)
    }

    @Test func resumingWithinTheGracePeriodSendsWhatWasMissed() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.customer(chat.customer, #"{"type":"send","id":"m1","text":"하나"}"#)  // seq 2
        _ = rig.messages(chat.customer)
        rig.close(chat.customer)
        rig.advance(.seconds(10))
        rig.agent(chat.agent, #"{"type":"send","id":"r1","conversation":"\#(chat.wire)","text":"둘"}"#)  // seq 3
        rig.agent(chat.agent, #"{"type":"send","id":"r2","conversation":"\#(chat.wire)","text":"셋"}"#)  // seq 4
        #expect(rig.messages(chat.customer).isEmpty)  // gone: nothing is sent to it

        let again = rig.connect()
        rig.customer(again, #"{"type":"hello","session":"\#(chat.token)","last_seq":2}"#)
        let said = rig.messages(again)
        let welcome = try #require(said.first?.welcomeValue)
        #expect(welcome.resumed)
        #expect(welcome.session == chat.token)
        let history = try #require(said.compactMap(\.historyValue).first)
        #expect(history.conversation == chat.wire)
        #expect(history.events.map(\.seq) == [3, 4])
        #expect(!history.more)
    }

    @Test func afterAResumeTheRelayReachesTheNewConnection() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        rig.close(chat.customer)
        let again = rig.connect()
        rig.customer(again, #"{"type":"hello","session":"\#(chat.token)","last_seq":1}"#)
        _ = rig.messages(again)
        rig.agent(chat.agent, #"{"type":"send","id":"r1","conversation":"\#(chat.wire)","text":"돌아오셨네요"}"#)
        #expect(rig.messages(again).compactMap(\.chatMessage).map(\.text) == ["돌아오셨네요"])
        rig.customer(again, #"{"type":"send","id":"m1","text":"네"}"#)
        #expect(rig.messages(chat.agent).compactMap(\.chatMessage).map(\.text) == ["네"])
    }

    @Test func resumingOnASecondConnectionReplacesTheFirst() throws {
        let rig = try DeskRig()
        let chat = rig.conversation()
        let second = rig.connect()
        rig.customer(second, #"{"type":"hello","session":"\#(chat.token)"}"#)
        let toOld = rig.delivery.take(chat.customer)
        guard case .message(.error(let error), _)? = toOld.first, case .close(let code)? = toOld.last else {
            Issue.record("the first connection was not told and closed: \(toOld)")
            return
        }
        #expect(error.code == .sessionReplaced)
        #expect(code == .sessionReplaced)
        #expect(rig.messages(second).first?.welcomeValue?.resumed == true)
        // The old connection's close, arriving later, does not disconnect the session.
        rig.close(chat.customer)
        rig.agent(chat.agent, #"{"type":"send","id":"r1","conversation":"\#(chat.wire)","text":"여기요"}"#)
        #expect(rig.messages(second).compactMap(\.chatMessage).count == 1)
    }

    @Test func resumingAfterTheGracePeriodIsRefusedAsUnknown() throws {
        let rig = try DeskRig { $0.center.customerGracePeriod = .seconds(30) }
        let (connection, token) = rig.helloCustomer()
        rig.close(connection)
        rig.advance(.seconds(31))
        let again = rig.connect()
        rig.customer(again, #"{"type":"hello","id":"h","session":"\#(token)"}"#)
        let error = try #require(rig.messages(again).first?.errorReport)
        #expect(error.code == .unknownSession)
        #expect(error.field == "session")
    }

    @Test func theTickForgetsASessionWhoseGracePeriodEnded() throws {
        let rig = try DeskRig { $0.center.customerGracePeriod = .seconds(30) }
        let (connection, token) = rig.helloCustomer()
        rig.close(connection)
        rig.advance(.seconds(29))
        #expect(rig.desk.sessions[token] != nil)
        rig.advance(.seconds(2))
        #expect(rig.desk.sessions[token] == nil)
    }

    @Test func aConnectedSessionIsNeverForgotten() throws {
        let rig = try DeskRig { $0.center.customerGracePeriod = .seconds(30) }
        let (_, token) = rig.helloCustomer()
        rig.advance(.seconds(120))
        #expect(rig.desk.sessions[token] != nil)
    }

    @Test func whenTheGracePeriodEndsTheAgentIsToldTheCustomerTimedOut() throws {
        let rig = try DeskRig { $0.center.customerGracePeriod = .seconds(30) }
        let chat = rig.conversation()
        rig.close(chat.customer)
        rig.advance(.seconds(10))
        #expect(rig.messages(chat.agent).compactMap(\.eventValue).isEmpty)
        rig.advance(.seconds(21))
        let ended = rig.messages(chat.agent).compactMap { if case .event(.ended(let e)) = $0 { e } else { nil } }
        #expect(ended.map(\.reason) == [.customerTimedOut])
    }

    @Test func anUnknownTokenIsRefused() throws {
        let rig = try DeskRig()
        let stranger = try DeskRig().helloCustomer().token  // a real token of another desk
        let connection = rig.connect()
        rig.customer(connection, #"{"type":"hello","session":"\#(stranger)"}"#)
        #expect(rig.messages(connection).first?.errorReport?.code == .unknownSession)
    }
}
