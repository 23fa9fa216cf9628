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
        let run = LineStats(arrivals: 13, wait: DurationStats(count: 10, meanMs: 12_000, p50Ms: 9_000, p90Ms: 30_000, p99Ms: 41_000),
                            speedOfAnswer: DurationStats(count: 9, meanMs: 15_000), handle: DurationStats(count: 8, meanMs: 240_000),
                            serviceLevel: 0.8, abandoned: AbandonStats(left: 1, timedOut: 2), abandonmentRate: 0.23,
                            estimateError: DurationStats(count: 20, p50Ms: 3_000, p90Ms: 9_000),
                            estimateErrorAtEnqueue: DurationStats(count: 10, p50Ms: 4_000, p90Ms: 11_000))
        let wait = WaitStats(chat: SpanStats(run: run, window: LineStats()), voice: SpanStats())
        let phone = PhoneComparison(agentsOnDuty: 1, arrivalsPerHour: 12.5, meanHandleMs: 240_000, offeredLoad: 0.83,
                                    erlangC: ErlangCStats(waitProbability: 0.36, meanWaitMs: 64_000, serviceLevel: 0.7),
                                    shadowRun: ShadowStats(wait: DurationStats(count: 10, meanMs: 70_000), serviceLevel: 0.3, abandoned: 1),
                                    shadowPending: 2, measured: SpanStats(run: run, window: LineStats()))
        let agent = AgentState(handle: "a", name: "에이", status: .available, connected: true,
                               capacity: AgentCapacity(chat: 3, voice: 0), chats: 2, calls: 0)
        let queue = QueueSnapshot(queue: "orders", name: "주문/배송", waitingChats: 4, waitingCalls: 0, agentsOnDuty: 1,
                                  pendingMessages: 0, deflected: 2, rejectedFull: 0, closedOut: 1, messagesLeft: 1,
                                  longestWaitMs: 30_000, wait: wait, phone: phone)
        let stats = CenterStats(serviceLevelThresholdMs: 20_000, windowMs: 900_000,
                                agents: AgentLoadStats(onDuty: 1, now: LoadStats(occupancy: 0.5, concurrency: 1.5),
                                                       run: LoadStats(occupancy: 0.25), window: LoadStats()),
                                wait: wait, phone: phone)
        let snapshot = ServerMessage.snapshot(Snapshot(ts: 5, open: false, queues: [queue], agents: [agent], stats: stats))
        #expect(try ServerMessage.decode(snapshot.encoded()) == snapshot)
        #expect(snapshot.json.contains(#""service_level":0.8,"abandoned":{"total":3,"left":1,"timed_out":2,"closed":0}"#))
        #expect(snapshot.json.contains(#""erlang_c":{"wait_probability":0.36,"mean_wait_ms":64000,"service_level":0.7}"#))
        let bare = ServerMessage.snapshot(Snapshot(ts: 5, open: true, queues: [], agents: []))
        #expect(try ServerMessage.decode(bare.encoded()) == bare)
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
