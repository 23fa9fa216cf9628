import Testing
import ChatProtocol

struct ConversationEventTests {
    func code(_ json: String) -> ErrorCode? {
        do {
            _ = try ServerMessage.decode(json)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func anAgentsMessageNamesTheAgentAndNoOtherDoes() {
        #expect(code(#"{"type":"message","conversation":"c","seq":1,"ts":0,"from":"agent","text":"hi"}"#) == .missingField)
        #expect(code(#"{"type":"message","conversation":"c","seq":1,"ts":0,"from":"customer","agent_name":"A","text":"hi"}"#) == .invalidField)
        #expect(code(#"{"type":"message","conversation":"c","seq":1,"ts":0,"from":"system","text":"hi"}"#) == nil)
    }

    @Test func aTransferGoesToAQueueOrANamedAgent() throws {
        let base = #""type":"transferred","conversation":"c","seq":6,"ts":0,"reason":"requested","from_agent_name":"박민지""#
        #expect(code("{\(base)}") == .missingField)
        #expect(code("{\(base),\"to_queue\":\"q\",\"to_agent_name\":\"이준\"}") == .invalidField)
        let m = try ServerMessage.decode("{\(base),\"to_agent_name\":\"이준\"}")
        guard case .event(.transferred(let t)) = m else { Issue.record("\(m)"); return }
        #expect(t.to == .agent(name: "이준"))
    }

    @Test func everyEventKnowsItsConversationSeqAndTime() {
        let events: [ConversationEvent] = [
            .message(ChatMessage(conversation: "c", seq: 1, ts: 10, from: .customer, text: "a")),
            .agentJoined(AgentJoined(conversation: "c", seq: 2, ts: 20, agentName: "A")),
            .transferred(Transferred(conversation: "c", seq: 3, ts: 30, reason: .agentLeft, fromAgentName: "A", to: .queue("q"))),
            .ended(ConversationEnded(conversation: "c", seq: 4, ts: 40, reason: .customerTimedOut)),
            .rated(Rated(conversation: "c", seq: 5, ts: 50, score: 4)),
        ]
        #expect(events.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(events.map(\.ts) == [10, 20, 30, 40, 50])
        #expect(events.allSatisfy { $0.conversation == "c" })
        #expect(events.map(\.type) == ["message", "agent_joined", "transferred", "conversation_ended", "rated"])
    }

    @Test func historyCarriesEventsAndRoundTrips() throws {
        let events: [ConversationEvent] = [
            .message(ChatMessage(conversation: "c", seq: 1, ts: 10, from: .agent, agentName: "A", text: "안녕하세요", clientID: "x")),
            .ended(ConversationEnded(conversation: "c", seq: 2, ts: 20, reason: .agentEnded)),
        ]
        let history = ServerMessage.history(History(conversation: "c", events: events, more: true))
        #expect(try ServerMessage.decode(history.encoded()) == history)
        #expect(history.json.contains(#""events":[{"type":"message","conversation":"c","seq":1"#))
    }

    @Test func historyHoldsOnlyConversationEventsAndAtMost200() {
        #expect(code(#"{"type":"history","conversation":"c","events":[{"type":"typing","conversation":"c","from":"agent","active":true}],"more":false}"#) == .unknownType)
        #expect(code(#"{"type":"history","conversation":"c","events":[1],"more":false}"#) == .invalidField)
        let one = #"{"type":"agent_joined","conversation":"c","seq":1,"ts":0,"agent_name":"A"}"#
        let many = Array(repeating: one, count: 201).joined(separator: ",")
        #expect(code(#"{"type":"history","conversation":"c","events":[\#(many)],"more":true}"#) == .invalidField)
    }

    @Test func aLiveEventIsAServerMessage() throws {
        let m = try ServerMessage.decode(#"{"type":"rated","conversation":"c","seq":7,"ts":1,"score":5,"comment":"감사합니다"}"#)
        #expect(m == .event(.rated(Rated(conversation: "c", seq: 7, ts: 1, score: 5, comment: "감사합니다"))))
        #expect(m.type == "rated")
    }
}
