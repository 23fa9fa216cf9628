import Testing
import ChatProtocol

struct CustomerMessageTests {
    func decode(_ json: String) throws(ProtocolError) -> CustomerMessage { try CustomerMessage.decode(json) }

    @Test func helloStartsOrResumesASession() throws {
        #expect(try decode(#"{"type":"hello"}"#) == .hello(CustomerHello()))
        let token = String(repeating: "x", count: 32)
        #expect(try decode(#"{"type":"hello","session":"\#(token)","last_seq":0,"language":"en"}"#)
                == .hello(CustomerHello(session: token, lastSeq: 0, language: .en)))
    }

    @Test func thePreChatFormKeepsEveryField() throws {
        let m = try decode(#"{"type":"start_chat","queue":"orders","name":"","order_number":"2026-1","product":"V12","first_message":"언제 와요?"}"#)
        #expect(m == .startChat(StartChat(queue: "orders", name: "", orderNumber: "2026-1", product: "V12", firstMessage: "언제 와요?")))
    }

    @Test func startChatRegistersACallWithChannelVoice() throws {
        let m = try decode(#"{"type":"start_chat","queue":"orders","channel":"voice"}"#)
        #expect(m == .startChat(StartChat(queue: "orders", channel: .voice)))
        #expect(try decode(#"{"type":"start_chat","queue":"orders","channel":"chat"}"#) == .startChat(StartChat(queue: "orders", channel: .chat)))
        // Absent means chat; the broker reads nil as chat.
        #expect(try decode(#"{"type":"start_chat","queue":"orders"}"#) == .startChat(StartChat(queue: "orders")))
        for bad in [#""email""#, #""faq""#, #""Voice""#, "1", "null"] {
            let error = #expect(throws: ProtocolError.self) { try decode(#"{"type":"start_chat","queue":"orders","channel":\#(bad)}"#) }
            #expect(error?.code == .invalidField)
            #expect(error?.field == "channel")
        }
    }

    @Test func aVoiceStartChatSurvivesEncodeAndDecode() throws {
        let message = CustomerMessage.startChat(StartChat(id: "call-1", queue: "returns", channel: .voice, name: "이서준"))
        #expect(try CustomerMessage.decode(message.encoded()) == message)
    }

    @Test func sendNeedsItsClientMessageID() throws {
        #expect(throws: ProtocolError.self) { try decode(#"{"type":"send","text":"hi"}"#) }
        let m = try decode(#"{"type":"send","id":"m-1","text":"hi"}"#)
        #expect(m.id == "m-1")
        #expect(m.type == "send")
    }

    @Test func theRequestIDIsReadFromEveryKind() throws {
        #expect(try decode(#"{"type":"end","id":"e1"}"#).id == "e1")
        #expect(try decode(#"{"type":"faq_continue"}"#).id == nil)
        #expect(try decode(#"{"type":"typing","id":"t","active":false}"#).id == "t")
    }

    @Test func messagesOfOtherRolesAreForbidden() {
        for json in [#"{"type":"set_status","status":"away"}"#, #"{"type":"get_snapshot"}"#, #"{"type":"transfer","conversation":"c","queue":"q"}"#] {
            let error = #expect(throws: ProtocolError.self) { try decode(json) }
            #expect(error?.code == .forbidden)
        }
    }

    @Test func rateTakesAWholeScoreFromOneToFive() throws {
        #expect(try decode(#"{"type":"rate","score":5.0}"#) == .rate(Rate(score: 5)))
        #expect(throws: ProtocolError.self) { try decode(#"{"type":"rate","score":5.5}"#) }
        #expect(throws: ProtocolError.self) { try decode(#"{"type":"rate","score":true}"#) }
    }

    @Test func encodingLeavesOutAbsentFields() {
        #expect(CustomerMessage.hello(CustomerHello()).json == #"{"type":"hello"}"#)
        #expect(CustomerMessage.fetchHistory(CustomerFetchHistory(afterSeq: 7)).json == #"{"type":"fetch_history","after_seq":7}"#)
        #expect(CustomerMessage.receipt(CustomerReceipt(kind: .read, seq: 4)).json == #"{"type":"receipt","kind":"read","seq":4}"#)
    }

    @Test func everyCaseRoundTrips() throws {
        let all: [CustomerMessage] = [
            .hello(CustomerHello(id: "h", language: .ko)),
            .startChat(StartChat(id: "s", queue: "returns", firstMessage: "교환")),
            .faqResolved(FAQResolved(entry: "delivery-time")), .faqContinue(BareRequest(id: "f")),
            .leaveMessage(LeaveMessage(text: "연락 주세요", replyTo: "010-0000-0000")),
            .send(CustomerSend(id: "m", text: "안녕하세요")), .typing(CustomerTyping(active: true)),
            .receipt(CustomerReceipt(kind: .delivered, seq: 1)), .end(BareRequest()),
            .rate(Rate(score: 1, comment: "")), .fetchHistory(CustomerFetchHistory()),
        ]
        #expect(Set(all.map(\.type)).count == all.count)
        for m in all { #expect(try CustomerMessage.decode(m.encoded()) == m) }
    }
}
