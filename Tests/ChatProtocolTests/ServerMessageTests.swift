import Testing
import ChatProtocol

struct ServerMessageTests {
    func code(_ json: String) -> ErrorCode? {
        do {
            _ = try ServerMessage.decode(json)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func anAckForASendCarriesWhereTheMessageIs() throws {
        let ack = ServerMessage.ack(Ack(id: "m-1", stored: .init(conversation: "c-1", seq: 4, ts: 1_777_870_841_250)))
        #expect(ack.json == #"{"type":"ack","id":"m-1","conversation":"c-1","seq":4,"ts":1777870841250}"#)
        #expect(try ServerMessage.decode(ack.encoded()) == ack)
    }

    @Test func anAckHasAllOfConversationSeqAndTsOrNone() {
        #expect(code(#"{"type":"ack","id":"a","seq":4}"#) == .missingField)
        #expect(code(#"{"type":"ack","id":"a","conversation":"c","seq":4}"#) == .missingField)
        #expect(code(#"{"type":"ack","id":"a","duplicate":true}"#) == .missingField)
        #expect(code(#"{"type":"ack","id":"a"}"#) == nil)
    }

    @Test func theGlueAnswersADecodingErrorWithAnErrorReport() throws {
        let error = ProtocolError(.textTooLong, "'text' is longer than 4000 characters", field: "text", requestID: "m-2")
        let report = ServerMessage.error(ErrorReport(error))
        #expect(report.json == #"{"type":"error","id":"m-2","code":"text_too_long","message":"'text' is longer than 4000 characters","field":"text","fatal":false}"#)
        #expect(try ServerMessage.decode(report.encoded()) == report)
    }

    @Test func faqScoresAreFractions() {
        func base(_ score: String) -> String {
            #"{"type":"faq_suggestions","suggestions":[{"entry":"e","question":"q","answer":"a","score":"# + score + "}]}"
        }
        #expect(code(base("0.5")) == nil)
        #expect(code(base("1")) == nil)
        #expect(code(base("1.01")) == .invalidField)
        #expect(code(base("-0.1")) == .invalidField)
        #expect(code(#"{"type":"faq_suggestions","suggestions":[]}"#) == .invalidField)
    }

    @Test func unknownServerTypesAreUnknown() {
        #expect(code(#"{"type":"pong"}"#) == .unknownType)
    }

    @Test func aWelcomeForAnAgentCarriesTheirProfile() throws {
        let welcome = ServerMessage.welcome(Welcome(
            role: .agent, ts: 1, open: true, limits: Limits(),
            queues: [QueueInfo(key: "orders", name: "주문/배송")],
            agent: SignedInAgent(handle: "minji.park", name: "박민지", status: .offline,
                                capacity: AgentCapacity(chat: 3, voice: 1), queues: ["orders"])))
        #expect(try ServerMessage.decode(welcome.encoded()) == welcome)
        #expect(welcome.json.hasPrefix(#"{"type":"welcome","role":"agent","resumed":false,"ts":1,"open":true,"limits":{"max_text_length":4000,"#))
    }

    @Test func aSnapshotRoundTripsWithItsStatistics() throws {
        let agent = AgentState(handle: "a", name: "에이", status: .available, connected: true,
                               capacity: AgentCapacity(chat: 3, voice: 0), chats: 2, calls: 0)
        let queue = QueueSnapshot(queue: "orders", name: "주문/배송", waitingChats: 4, waitingCalls: 0, agentsOnDuty: 1,
                                  pendingMessages: 0, deflected: 2, rejectedFull: 0, closedOut: 1, messagesLeft: 1,
                                  longestWaitMs: 30_000,
                                  wait: WaitStats(count: 10, meanMs: 12_000, p50Ms: 9_000, serviceLevel: 0.8),
                                  phone: PhoneComparison(erlangCWaitProbability: 0.36, shadow: WaitStats(count: 10)))
        let snapshot = ServerMessage.snapshot(Snapshot(ts: 5, open: false, queues: [queue], agents: [agent]))
        #expect(try ServerMessage.decode(snapshot.encoded()) == snapshot)
        #expect(try ServerMessage.decode(ServerMessage.presence(Presence(agent: agent)).encoded()) == .presence(Presence(agent: agent)))
    }

    @Test func offersAssignmentsAndLeftMessagesRoundTrip() throws {
        let card = CustomerCard(language: .ko, name: "김하늘", orderNumber: "1", product: "V12", firstMessage: "배송?")
        let all: [ServerMessage] = [
            .offer(OfferedContact(offer: "o-1", queue: "orders", channel: .chat, expiresAt: 10, waitedMs: 0, customer: card)),
            .offerWithdrawn(OfferWithdrawn(offer: "o-1", reason: .agentUnavailable)),
            .assigned(Assigned(conversation: "c", queue: "orders", channel: .voice, customer: CustomerCard(language: .en),
                               startedAt: 1, lastSeq: 0)),
            .leftMessage(LeftMessage(contact: "k-1", queue: "returns", text: "전화 주세요", leftAt: 3, customer: card)),
            .queued(Queued(queue: "orders", place: 1)), .placeInLine(PlaceInLine(place: 3, estimatedWaitMs: 90_000)),
            .leaveMessageOffered(LeaveMessageOffered(reason: .unattended)), .messageStored(MessageStored(ts: 9)),
            .typing(Typing(conversation: "c", from: .customer, active: true)),
            .receipt(Receipt(conversation: "c", from: .agent, kind: .delivered, seq: 2, ts: 3)),
        ]
        for m in all { #expect(try ServerMessage.decode(m.encoded()) == m, "\(m.type)") }
    }
}
