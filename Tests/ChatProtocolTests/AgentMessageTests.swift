import Testing
import ChatProtocol

struct AgentMessageTests {
    func decode(_ json: String) throws(ProtocolError) -> AgentMessage { try AgentMessage.decode(json) }

    func code(_ json: String) -> ErrorCode? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func transferGoesToAQueueOrAnAgent() throws {
        #expect(try decode(#"{"type":"transfer","conversation":"c-1","queue":"returns"}"#)
                == .transfer(TransferRequest(conversation: "c-1", target: .queue("returns"))))
        #expect(try decode(#"{"type":"transfer","conversation":"c-1","agent":"joon.lee"}"#)
                == .transfer(TransferRequest(conversation: "c-1", target: .agent("joon.lee"))))
    }

    @Test func transferNeedsExactlyOneTarget() {
        #expect(code(#"{"type":"transfer","conversation":"c-1"}"#) == .missingField)
        #expect(code(#"{"type":"transfer","conversation":"c-1","queue":"q","agent":"a"}"#) == .invalidField)
        #expect(code(#"{"type":"transfer","queue":"q"}"#) == .missingField)
    }

    @Test func acceptAndDeclineNameTheOffer() throws {
        #expect(try decode(#"{"type":"accept","offer":"o-1"}"#) == .accept(OfferReply(offer: "o-1")))
        #expect(try decode(#"{"type":"decline","id":"d","offer":"o-2"}"#) == .decline(OfferReply(id: "d", offer: "o-2")))
        #expect(code(#"{"type":"accept"}"#) == .missingField)
    }

    @Test func agentMessagesNameTheirConversation() {
        #expect(code(#"{"type":"typing","active":true}"#) == .missingField)
        #expect(code(#"{"type":"receipt","kind":"read","seq":1}"#) == .missingField)
        #expect(code(#"{"type":"end"}"#) == .missingField)
        #expect(code(#"{"type":"fetch_history"}"#) == .missingField)
    }

    @Test func customerMessagesAreForbidden() {
        #expect(code(#"{"type":"start_chat","queue":"orders"}"#) == .forbidden)
        #expect(code(#"{"type":"rate","score":5}"#) == .forbidden)
    }

    @Test func statusIsOneOfThree() throws {
        for status in AgentStatus.allCases {
            #expect(try decode(#"{"type":"set_status","status":"\#(status.rawValue)"}"#) == .setStatus(SetStatus(status: status)))
        }
        #expect(code(#"{"type":"set_status","status":"Available"}"#) == .invalidField)
    }

    @Test func everyCaseRoundTrips() throws {
        let all: [AgentMessage] = [
            .hello(StaffHello(credentials: .token(String(repeating: "t", count: 20)))),
            .setStatus(SetStatus(id: "s", status: .away)), .accept(OfferReply(offer: "o")), .decline(OfferReply(offer: "o")),
            .send(AgentSend(id: "m", conversation: "c", text: "네")), .typing(AgentTyping(conversation: "c", active: false)),
            .receipt(AgentReceipt(conversation: "c", kind: .read, seq: 9)),
            .transfer(TransferRequest(conversation: "c", target: .agent("b"))), .end(AgentEnd(conversation: "c")),
            .fetchHistory(FetchHistory(conversation: "c", afterSeq: 3)),
        ]
        #expect(Set(all.map(\.type)).count == all.count)
        for m in all { #expect(try AgentMessage.decode(m.encoded()) == m) }
    }
}
