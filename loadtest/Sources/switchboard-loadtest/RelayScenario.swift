#if canImport(Glibc)
import Glibc
#endif
import ChatProtocol
import EventLoop
import Histogram
import Posix
import WebSocket

/// Which `seq`s one side of a conversation has seen, as events or as acks of its own
/// sends. Per side, every seq from 1 up must arrive exactly once; events arrive in
/// increasing order, and so do acks.
struct SeqTracker {
    private var seen: [UInt64] = []
    private(set) var count: Int64 = 0
    private(set) var maxSeq: Int64 = 0
    private var lastEvent: Int64 = 0
    private var lastAck: Int64 = 0

    enum Problem { case duplicate, outOfOrder }

    mutating func event(_ seq: Int64) -> Problem? {
        if let problem = mark(seq) { return problem }
        defer { lastEvent = seq }
        return seq < lastEvent ? .outOfOrder : nil
    }

    mutating func ack(_ seq: Int64) -> Problem? {
        if let problem = mark(seq) { return problem }
        defer { lastAck = seq }
        return seq < lastAck ? .outOfOrder : nil
    }

    /// Seqs from 1 to `top` this side never saw.
    func missing(upTo top: Int64) -> Int64 { max(0, top - count) }

    private mutating func mark(_ seq: Int64) -> Problem? {
        guard seq >= 1 else { return .outOfOrder }
        let word = Int((seq - 1) >> 6), bit = UInt64(1) << UInt64((seq - 1) & 63)
        if word >= seen.count { seen.append(contentsOf: repeatElement(0, count: word + 1 - seen.count)) }
        if seen[word] & bit != 0 { return .duplicate }
        seen[word] |= bit
        count += 1
        maxSeq = max(maxSeq, seq)
        return nil
    }
}

/// One load-test customer: its connection, what it sent, and its side of the seqs.
final class RelayCustomer: LoadClient {
    let index: Int
    var connection: ClientConnection?
    var conversation: RelayConversation?
    var side = SeqTracker()
    /// Send time of the customer's k'th chat message (client id `m<k>`).
    var sendTimes: [UInt64] = []
    var acked = 0
    var ended = false
    var failed = false
    var closed = false

    init(index: Int) { self.index = index }
}

/// A conversation, keyed by the broker's id and made by whichever side names it first.
final class RelayConversation {
    let id: String
    var customer: RelayCustomer?
    var agent: LoadAgent?
    var agentSide = SeqTracker()
    /// Send time of the agent's j'th reply (client id `r<j>`).
    var replyTimes: [UInt64] = []
    /// Customer messages the agent received.
    var delivered = 0
    var endedForAgent = false
    var paired = false

    init(id: String) { self.id = id }
}

/// Drives the relay load on the load generator's single loop thread: sign-in, pairing,
/// paced sends, replies, measurement, drain, polite end.
final class RelayScenario: ClientDelegate, Selectable {
    let fd: Int32 = -1
    private let options: RelayBenchmark
    private let clientOptions: ClientOptions
    private let loop: EventLoop
    /// Where customers and agents connect: one broker, or a cluster's nodes in turn.
    private let customerURLs: [WebSocketURL]
    private let agentURLs: [WebSocketURL]

    private var agents: [LoadAgent] = []
    private var customers: [RelayCustomer] = []
    private var byID: [String: RelayConversation] = [:]

    enum Phase: Int, Comparable {
        case signingIn, pairing, sending, draining, ending, closing, done
        static func < (a: Phase, b: Phase) -> Bool { a.rawValue < b.rawValue }
    }
    private var phase = Phase.signingIn
    private let startedAt = monotonicNanoseconds()
    private var phaseStartedAt = monotonicNanoseconds()
    private var agentsReadyAt: UInt64 = 0
    private var pairedAt: UInt64 = 0
    private var lastProgress: UInt64 = 0

    // Setup.
    private var agentsReady = 0
    private var customersOpened = 0
    private var customersPaired = 0
    private var customersFailed = 0

    // Sending: message n (over all conversations) is due at sendStart + n / rate.
    private var sendStart: UInt64 = 0
    private var scheduled: UInt64 = 0
    private var roundRobin = 0
    private let nanosPerMessage: Double
    private var measuring = false
    private var measureStart: UInt64 = 0
    private var measureEnd: UInt64 = 0
    private var maxLag: UInt64 = 0
    /// The longest time between two pacer wake-ups while measuring: how long this
    /// tool's loop was busy or descheduled at once (0.5 ms when idle).
    private var maxPaceGap: UInt64 = 0
    private var lastPace: UInt64 = 0
    private var intervalLag: UInt64 = 0
    private var intervalStall: UInt64 = 0
    private var endsExpected = 0
    private var awaitingClose = 0
    private var endedForCustomers = 0
    private var endedForAgents = 0

    // Counts over the whole run.
    private var sent = 0
    private var acked = 0
    private var delivered = 0
    private var replies = 0
    private var repliesAcked = 0
    private var repliesDelivered = 0

    // Measured.
    private var c2a = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    private var a2c = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    private var interval = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    /// Milliseconds from a customer's send to the broker's `ts` on the message, and from
    /// that `ts` to the agent's receipt (each ±1 ms: `ts` has millisecond resolution).
    private var toBroker = Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    private var fromBroker = Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    /// Wall clock minus monotonic clock, in nanoseconds, taken once.
    private let wallOffset: UInt64 = {
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        let wallNs = UInt64(wall.tv_sec) * 1_000_000_000 + UInt64(wall.tv_nsec)
        return wallNs &- monotonicNanoseconds()
    }()
    private var measuredSent = 0
    private var measuredC2A = 0
    private var measuredA2C = 0
    private var sinceProgressC2A = 0
    private var sinceProgressA2C = 0
    private var cpuAtStart: (mine: Double, server: Double?, machine: Double?) = (0, nil, nil)
    private var cpuAtEnd: (mine: Double, server: Double?, machine: Double?) = (0, nil, nil)

    /// What each side received over the whole run, by message type.
    private var customerReceivedTypes: [String: Int] = [:]
    private var agentReceivedTypes: [String: Int] = [:]

    // Errors.
    private var errorCodes: [String: Int] = [:]
    private var unexpectedCloses = 0
    private var undecodable = 0
    private var seqDuplicates = 0
    private var seqOutOfOrder = 0
    private var seqMissing: Int64 = 0
    private var unacked = 0
    private var undelivered = 0
    private var otherErrors = 0
    private var firstError: String?
    private var aborted: String?

    private var scratch: [UInt8] = []
    private let firstMessage = "안녕하세요, 지난주에 주문한 상품이 아직 배송되지 않았어요. 주문번호 20261125-0042 확인 부탁드립니다."
    private let customerText = "혹시 오늘 안에 출고될 수 있을까요? 선물이라서 주말 전에 받아야 해요."
    private let agentText = "확인해 보니 오늘 오후에 출고 예정입니다. 송장 번호는 출고 후 문자로 안내드릴게요."

    init(options: RelayBenchmark, loop: EventLoop) throws {
        self.options = options
        self.clientOptions = try ClientOptions(url: options.url, deflate: options.deflate,
                                               subprotocols: [WireProtocol.subprotocol])
        self.loop = loop
        customerURLs = (options.customerURLs.isEmpty ? [options.url] : options.customerURLs).map { $0.with(path: Role.customer.path) }
        agentURLs = (options.agentURLs.isEmpty ? [options.url] : options.agentURLs).map { $0.with(path: Role.agent.path) }
        nanosPerMessage = 1e9 / options.rate
        scratch.reserveCapacity(1024)
    }

    // MARK: Setup

    func start() throws {
        if !options.quiet {
            log("signing in \(options.agents) agents (\(options.agentLoginPrefix)0…) on \(agentURLs.map(\.description).joined(separator: ", "))")
        }
        for index in 0..<options.agents {
            let agent = LoadAgent(index: index, login: "\(options.agentLoginPrefix)\(index)")
            agents.append(agent)
            try connect(agent)
        }
        customers = (0..<options.conversations).map { RelayCustomer(index: $0) }
    }

    private func connect(_ agent: LoadAgent) throws {
        let connection = try ClientConnection(url: agentURLs[agent.index % agentURLs.count], options: clientOptions, loop: loop, delegate: self)
        connection.tag = -(agent.index + 1)
        agent.connection = connection
        agent.closed = false
    }

    /// Sign-ins the broker's sign-in line turned away as busy (`rate_limited` with
    /// `retry_after_ms`: many agents at once on a slow machine) are tried again when it
    /// says, a few times, instead of ending the run.
    private static let maxSignInRetries = 10

    private func retryBusySignIns(now: UInt64) {
        for agent in agents where agent.closed {
            guard let at = agent.retryAt, now >= at else { continue }
            agent.retryAt = nil
            do {
                try connect(agent)
            } catch {
                abort("agent \(agent.login) could not reconnect: \(error)")
            }
        }
    }

    private func openMoreCustomers() {
        guard phase == .pairing else { return }
        while customersOpened < options.conversations
            && customersOpened - customersPaired - customersFailed < options.openBatch {
            let customer = customers[customersOpened]
            customersOpened += 1
            do {
                let connection = try ClientConnection(url: customerURLs[customer.index % customerURLs.count], options: clientOptions,
                                                      loop: loop, delegate: self)
                connection.tag = customer.index
                customer.connection = connection
            } catch {
                recordError("customer \(customer.index): cannot connect: \(error)")
                otherErrors += 1
                customerFailed(customer)
            }
        }
    }

    private func customerFailed(_ customer: RelayCustomer) {
        guard !customer.failed else { return }
        customer.failed = true
        if customer.conversation?.paired != true { customersFailed += 1 }
        checkPairingDone()
    }

    private func checkPairingDone() {
        guard phase == .pairing, customersPaired + customersFailed == options.conversations else { return }
        let now = monotonicNanoseconds()
        pairedAt = now
        if customersPaired == 0 {
            abort("no customer was paired with an agent")
            return
        }
        if !options.quiet {
            log("\(customersPaired) conversations open after \(format(Double(now &- startedAt) / 1e9, 1)) s"
                + (customersFailed > 0 ? " (\(customersFailed) customers failed)" : "")
                + "; sending \(format(options.rate, 0)) msg/s, warming up \(format(options.warmup, 1)) s")
        }
        phase = .sending
        phaseStartedAt = now
        sendStart = now
        scheduled = 0
    }

    private func conversation(_ id: String) -> RelayConversation {
        if let c = byID[id] { return c }
        let c = RelayConversation(id: id)
        byID[id] = c
        return c
    }

    private func link(_ conversation: RelayConversation) {
        guard !conversation.paired, let customer = conversation.customer, conversation.agent != nil else { return }
        conversation.paired = true
        if !customer.failed {
            customersPaired += 1
            openMoreCustomers()
            checkPairingDone()
        }
    }

    // MARK: Connections

    func clientOpened(_ client: ClientConnection, now: UInt64) {
        client.sendHello(agent: client.tag < 0 ? agents[-client.tag - 1] : nil, secret: options.agentSecret, scratch: &scratch)
    }

    func clientClosed(_ client: ClientConnection, error: String?) {
        let clean = error == nil && phase >= .closing
        if client.tag < 0 {
            let agent = agents[-client.tag - 1]
            agent.closed = true
            if phase == .signingIn && agent.retryAt != nil { return }  // refused as busy: tried again later
            if !clean {
                unexpectedCloses += 1
                recordError("agent \(agent.login): \(error ?? "closed")")
                if phase == .signingIn { abort("agent \(agent.login) could not sign in: \(error ?? "closed")") }
            }
        } else {
            let customer = customers[client.tag]
            customer.closed = true
            if !clean {
                unexpectedCloses += 1
                recordError("customer \(customer.index): \(error ?? "closed")")
                customerFailed(customer)
            }
        }
        if phase == .closing {
            awaitingClose -= 1
            if awaitingClose <= 0 { finish() }
        }
    }

    func client(_ client: ClientConnection, received opcode: Opcode, payload: UnsafeRawBufferPointer, now: UInt64) {
        guard opcode == .text else {
            undecodable += 1
            recordError("binary message from the broker")
            return
        }
        let message: ServerMessage
        do {
            // Our WebSocket layer checked the text message's UTF-8 (RFC 6455 §8.1).
            message = try ServerMessage.decode(payload, utf8: .validated)
        } catch {
            undecodable += 1
            recordError("undecodable server message: \(error)")
            return
        }
        if client.tag < 0 {
            agentReceivedTypes[message.type, default: 0] += 1
            agentReceived(message, agent: agents[-client.tag - 1], client: client, now: now)
        } else {
            customerReceivedTypes[message.type, default: 0] += 1
            customerReceived(message, customer: customers[client.tag], client: client, now: now)
        }
    }

    // MARK: Customer side

    private func customerReceived(_ message: ServerMessage, customer: RelayCustomer, client: ClientConnection, now: UInt64) {
        switch message {
        case .welcome:
            send(client, .startChat(StartChat(id: "s", queue: options.queue, name: "고객 \(customer.index + 1)",
                                              firstMessage: firstMessage)))
        case .ack(let ack):
            guard let stored = ack.stored else { return }
            guard let k = Self.number(ack.id, prefix: 0x6D /* m */), k < customer.sendTimes.count else {
                otherErrors += 1
                recordError("customer \(customer.index): ack for a send we did not make (\(ack.id))")
                return
            }
            if stored.duplicate == true {
                otherErrors += 1
                recordError("customer \(customer.index): ack marked duplicate for \(ack.id)")
            }
            if customer.conversation?.id != stored.conversation {
                otherErrors += 1
                recordError("customer \(customer.index): ack names conversation \(stored.conversation)")
            }
            customer.acked += 1
            acked += 1
            check(customer.side.ack(stored.seq), "customer \(customer.index) ack", stored.seq)
        case .event(let event):
            let conversation = conversation(event.conversation)
            if customer.conversation == nil {
                customer.conversation = conversation
                conversation.customer = customer
                link(conversation)
            } else if customer.conversation !== conversation {
                otherErrors += 1
                recordError("customer \(customer.index): event of another conversation \(event.conversation)")
                return
            }
            check(customer.side.event(event.seq), "customer \(customer.index) event", event.seq)
            switch event {
            case .message(let m) where m.from == .agent:
                guard let j = Self.number(m.clientID, prefix: 0x72 /* r */), j < conversation.replyTimes.count else {
                    otherErrors += 1
                    recordError("customer \(customer.index): agent message without our client id (\(m.clientID ?? "none"))")
                    return
                }
                repliesDelivered += 1
                if measuring {
                    _ = a2c.record(now &- conversation.replyTimes[j])
                    measuredA2C += 1
                    sinceProgressA2C += 1
                }
            case .ended:
                if !customer.ended && phase == .ending { endedForCustomers += 1 }
                customer.ended = true
                if phase == .ending { checkEnded() }
            default:
                break
            }
        case .faqSuggestions:
            send(client, .faqContinue(BareRequest(id: "f")))
        case .leaveMessageOffered(let offered):
            otherErrors += 1
            recordError("customer \(customer.index): offered to leave a message (\(offered.reason.rawValue)); is an agent serving \(options.queue)?")
            customerFailed(customer)
            customer.closed = true
            client.close()
        case .error(let report):
            brokerError(report, who: "customer \(customer.index)")
            if report.id == "s" || report.fatal { customerFailed(customer) }
        default:
            break  // queued, place_in_line, typing, receipts
        }
    }

    // MARK: Agent side

    private func agentReceived(_ message: ServerMessage, agent: LoadAgent, client: ClientConnection, now: UInt64) {
        switch message {
        case .welcome:
            send(client, .setStatus(SetStatus(id: "st", status: .available)))
        case .ack(let ack):
            if ack.id == "st" {
                guard !agent.ready else { return }
                agent.ready = true
                agentsReady += 1
                if agentsReady == options.agents && phase == .signingIn {
                    agentsReadyAt = now
                    if !options.quiet {
                        log("\(agentsReady) agents available after \(format(Double(now &- startedAt) / 1e9, 1)) s; "
                            + "opening \(options.conversations) customers on \(customerURLs.map(\.description).joined(separator: ", "))")
                    }
                    phase = .pairing
                    phaseStartedAt = now
                    openMoreCustomers()
                }
                return
            }
            guard let stored = ack.stored else { return }
            let conversation = conversation(stored.conversation)
            guard let j = Self.number(ack.id, prefix: 0x72 /* r */), j < conversation.replyTimes.count else {
                otherErrors += 1
                recordError("agent \(agent.login): ack for a send we did not make (\(ack.id))")
                return
            }
            if stored.duplicate == true {
                otherErrors += 1
                recordError("agent \(agent.login): ack marked duplicate for \(ack.id)")
            }
            repliesAcked += 1
            check(conversation.agentSide.ack(stored.seq), "agent \(agent.login) ack in \(stored.conversation)", stored.seq)
        case .assigned(let assigned):
            let conversation = conversation(assigned.conversation)
            if let holder = conversation.agent, holder !== agent {
                otherErrors += 1
                recordError("conversation \(assigned.conversation) assigned to \(agent.login) after \(holder.login)")
            }
            conversation.agent = agent
            link(conversation)
        case .offer(let offer):
            send(client, .accept(OfferReply(id: "a", offer: offer.offer)))
        case .event(let event):
            let conversation = conversation(event.conversation)
            check(conversation.agentSide.event(event.seq), "agent \(agent.login) event in \(event.conversation)", event.seq)
            switch event {
            case .message(let m) where m.from == .customer:
                guard let customer = conversation.customer else { return }  // the pre-chat first message
                guard let k = Self.number(m.clientID, prefix: 0x6D /* m */), k < customer.sendTimes.count else {
                    if m.clientID != nil {
                        otherErrors += 1
                        recordError("agent \(agent.login): customer message with an unknown client id (\(m.clientID!))")
                    }
                    return
                }
                conversation.delivered += 1
                delivered += 1
                if measuring {
                    // Where the time went, by the broker's own stamp (milliseconds since
                    // 1970 when the domain thread recorded the message): before it, after it.
                    let sentMs = Int64((customer.sendTimes[k] &+ wallOffset) / 1_000_000)
                    let receivedMs = Int64((now &+ wallOffset) / 1_000_000)
                    _ = toBroker.record(UInt64(max(0, m.ts - sentMs)))
                    _ = fromBroker.record(UInt64(max(0, receivedMs - m.ts)))
                    let latency = now &- customer.sendTimes[k]
                    _ = c2a.record(latency)
                    _ = interval.record(latency)
                    measuredC2A += 1
                    sinceProgressC2A += 1
                }
                // Staggered by conversation, so that replies do not come in waves.
                if options.replyEvery > 0 && (k + customer.index) % options.replyEvery == options.replyEvery - 1
                    && phase < .ending {
                    let j = conversation.replyTimes.count
                    conversation.replyTimes.append(monotonicNanoseconds())
                    replies += 1
                    send(client, .send(AgentSend(id: "r\(j)", conversation: conversation.id, text: agentText)))
                }
            case .ended:
                if !conversation.endedForAgent && phase == .ending { endedForAgents += 1 }
                conversation.endedForAgent = true
                if phase == .ending { checkEnded() }
            default:
                break
            }
        case .error(let report)
            where phase == .signingIn && report.code == .rateLimited && agent.signInRetries < Self.maxSignInRetries:
            agent.signInRetries += 1
            agent.retryAt = now &+ UInt64(max(100, report.retryAfterMs ?? 1_000)) &* 1_000_000
            if !options.quiet {
                log("agent \(agent.login): sign-in line busy; trying again in \(report.retryAfterMs ?? 1_000) ms")
            }
        case .error(let report):
            brokerError(report, who: "agent \(agent.login)")
            if phase == .signingIn && (report.fatal || report.id == "st") {
                abort("agent \(agent.login) could not sign in: \(report.code.rawValue) \(report.message)")
            }
        default:
            break  // presence, typing, receipts, offers withdrawn
        }
    }

    // MARK: Sending

    private func send(_ client: ClientConnection, _ message: CustomerMessage) {
        client.send(message, scratch: &scratch)
    }

    private func send(_ client: ClientConnection, _ message: AgentMessage) {
        client.send(message, scratch: &scratch)
    }

    /// Called every 0.5 ms (from the pacer thread through the loop): sends what is due,
    /// moves between phases, prints progress.
    func pace() {
        let now = monotonicNanoseconds()
        if measuring && lastPace != 0 {
            maxPaceGap = max(maxPaceGap, now &- lastPace)
            intervalStall = max(intervalStall, now &- lastPace)
        }
        lastPace = now
        if phase == .signingIn { retryBusySignIns(now: now) }
        guard phase == .sending else {
            if phase == .draining || phase == .ending || phase == .closing { advanceAfterSending(now: now) }
            return
        }
        let due = UInt64(Double(now &- sendStart) / nanosPerMessage)
        var attempts = 0
        while scheduled < due && attempts < 2 * options.conversations {
            let customer = customers[roundRobin]
            roundRobin = roundRobin + 1 == customers.count ? 0 : roundRobin + 1
            attempts += 1
            guard let client = customer.connection, customer.conversation?.paired == true,
                  !customer.failed, !customer.closed, !customer.ended else { continue }
            let dueAt = sendStart &+ UInt64(Double(scheduled) * nanosPerMessage)
            scheduled += 1
            attempts = 0
            let k = customer.sendTimes.count
            let sentAt = monotonicNanoseconds()
            customer.sendTimes.append(sentAt)
            sent += 1
            if measuring {
                measuredSent += 1
                if sentAt > dueAt {
                    maxLag = max(maxLag, sentAt &- dueAt)
                    intervalLag = max(intervalLag, sentAt &- dueAt)
                }
            }
            send(client, .send(CustomerSend(id: "m\(k)", text: customerText)))
            client.flush()
        }
        if attempts >= 2 * options.conversations { scheduled = due }  // nobody left to send
        if !measuring && measureEnd == 0 && now &- sendStart >= UInt64(options.warmup * 1e9) {
            measuring = true
            measureStart = now
            lastProgress = now
            sinceProgressC2A = 0
            sinceProgressA2C = 0
            interval.reset()
            cpuAtStart = cpuNow()
        }
        if measuring {
            if now &- lastProgress >= 1_000_000_000 { progress(now: now) }
            if now &- measureStart >= UInt64(options.duration * 1e9) {
                measuring = false
                measureEnd = now
                cpuAtEnd = cpuNow()
                phase = .draining
                phaseStartedAt = now
                if !options.quiet { log("measured; draining messages in flight") }
            }
        }
    }

    private func cpuNow() -> (mine: Double, server: Double?, machine: Double?) {
        (ProcessStats.cpuSeconds(pid: 0) ?? 0, options.serverPid.flatMap { ProcessStats.cpuSeconds(pid: $0) },
         ProcessStats.machineBusySeconds())
    }

    private func progress(now: UInt64) {
        if !options.quiet {
            let seconds = Double(now &- lastProgress) / 1e9
            let c2aRate = Double(sinceProgressC2A) / seconds, a2cRate = Double(sinceProgressA2C) / seconds
            log("\(format(Double(now &- measureStart) / 1e9, 0))/\(format(options.duration, 0)) s  "
                + "relayed \(Int(c2aRate + a2cRate)) msg/s (customer→agent \(Int(c2aRate)), agent→customer \(Int(a2cRate)))  "
                + "c→a p50 \(millis(interval.valueAtPercentile(50))) p99 \(millis(interval.valueAtPercentile(99))) ms  "
                + "pacing lag \(millis(intervalLag)) ms  loop stall \(millis(intervalStall)) ms  errors \(errorCount)")
        }
        lastProgress = now
        sinceProgressC2A = 0
        sinceProgressA2C = 0
        intervalLag = 0
        intervalStall = 0
        interval.reset()
    }

    /// Draining: wait (at most 10 s) until every send is acked and delivered; then check
    /// the seqs, end the conversations, and close.
    private func advanceAfterSending(now: UInt64) {
        let elapsed = now &- phaseStartedAt
        switch phase {
        case .draining:
            let settled = acked == sent && delivered == sent && repliesAcked == replies && repliesDelivered == replies
            guard settled || elapsed > 10_000_000_000 else { return }
            checkSeqs()
            phase = .ending
            phaseStartedAt = now
            endedForCustomers = 0
            endedForAgents = 0
            endsExpected = 0
            for customer in customers where customer.conversation?.paired == true && !customer.failed && !customer.closed {
                if let client = customer.connection {
                    endsExpected += 1
                    send(client, .end(BareRequest(id: "e")))
                    client.flush()
                }
            }
            checkEnded()
        case .ending:
            if elapsed > 10_000_000_000 {
                let open = customers.filter { $0.conversation?.paired == true && !$0.failed && !$0.closed && !$0.ended }.count
                otherErrors += open
                recordError("\(open) conversations did not end within 10 s")
                closeAll(now: now)
            }
        case .closing:
            if elapsed > 5_000_000_000 { finish() }
        default:
            break
        }
    }

    private func checkEnded() {
        guard phase == .ending, endedForCustomers >= endsExpected, endedForAgents >= endsExpected else { return }
        closeAll(now: monotonicNanoseconds())
    }

    private func checkSeqs() {
        for customer in customers {
            guard let conversation = customer.conversation, conversation.paired else { continue }
            if customer.failed || customer.closed || conversation.agent?.closed == true { continue }
            let top = max(customer.side.maxSeq, conversation.agentSide.maxSeq)
            let missing = customer.side.missing(upTo: top) + conversation.agentSide.missing(upTo: top)
            if missing > 0 {
                seqMissing += missing
                recordError("conversation \(conversation.id): \(missing) seqs missing (customer saw \(customer.side.count), agent \(conversation.agentSide.count), top \(top))")
            }
        }
        unacked = (sent - acked) + (replies - repliesAcked)
        undelivered = (sent - delivered) + (replies - repliesDelivered)
        if unacked > 0 { recordError("\(unacked) sends never acknowledged") }
        if undelivered > 0 { recordError("\(undelivered) messages never reached the other side") }
    }

    private func closeAll(now: UInt64) {
        guard phase < .closing else { return }
        phase = .closing
        phaseStartedAt = now
        let open = openConnections(customers, agents)
        awaitingClose = open.count
        if open.isEmpty { finish() }
        for connection in open { connection.closeGracefully() }
    }

    // MARK: Ticks, errors, the end

    func handleEvent(_ flags: EpollFlags) {}

    func tick(now: UInt64) {
        if phase == .signingIn || phase == .pairing {
            if now &- startedAt > UInt64(options.setupTimeout * 1e9) {
                abort(phase == .signingIn
                      ? "only \(agentsReady) of \(options.agents) agents signed in within \(format(options.setupTimeout, 0)) s"
                      : "only \(customersPaired) of \(options.conversations) customers had an agent within \(format(options.setupTimeout, 0)) s")
                return
            }
            openMoreCustomers()
            if now &- lastProgress >= 1_000_000_000 {
                lastProgress = now
                if !options.quiet {
                    log("setup \(format(Double(now &- startedAt) / 1e9, 0)) s: agents available \(agentsReady)/\(options.agents), "
                        + "customers opened \(customersOpened), in a conversation \(customersPaired)/\(options.conversations), errors \(errorCount)")
                }
            }
        }
        if phase >= .draining { advanceAfterSending(now: now) }
    }

    private func abort(_ reason: String) {
        guard aborted == nil else { return }
        aborted = reason
        otherErrors += 1
        recordError(reason)
        log("giving up: \(reason)")
        let now = monotonicNanoseconds()
        if measuring {
            measuring = false
            measureEnd = now
            cpuAtEnd = cpuNow()
        }
        for customer in customers { customer.connection?.close() }
        for agent in agents { agent.connection?.close() }
        finish()
    }

    private var finished = false

    private func finish() {
        guard !finished else { return }
        finished = true
        phase = .done
        for customer in customers where !customer.closed { customer.connection?.close() }
        for agent in agents where !agent.closed { agent.connection?.close() }
        loop.stop()
    }

    private func brokerError(_ report: ErrorReport, who: String) {
        errorCodes[report.code.rawValue, default: 0] += 1
        recordError("\(who): error \(report.code.rawValue) \(report.message)" + (report.id.map { " (request \($0))" } ?? ""))
    }

    private func check(_ problem: SeqTracker.Problem?, _ what: String, _ seq: Int64) {
        guard let problem else { return }
        switch problem {
        case .duplicate: seqDuplicates += 1
        case .outOfOrder: seqOutOfOrder += 1
        }
        recordError("\(what): seq \(seq) \(problem == .duplicate ? "seen twice" : "out of order")")
    }

    private func recordError(_ text: String) {
        if firstError == nil { firstError = text }
        if !options.quiet && errorCount <= 10 { log(text) }
    }

    private var errorCount: Int {
        errorCodes.values.reduce(0, +) + unexpectedCloses + undecodable + seqDuplicates + seqOutOfOrder
            + Int(seqMissing) + unacked + otherErrors
    }

    /// `k` from an id `<prefix>k` (our client message ids).
    private static func number(_ id: String?, prefix: UInt8) -> Int? {
        guard let id, id.utf8.first == prefix else { return nil }
        var value = 0
        var digits = 0
        for b in id.utf8.dropFirst() {
            guard b >= 0x30 && b <= 0x39, digits < 15 else { return nil }
            value = value * 10 + Int(b - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    // MARK: Result

    struct Result {
        var text: String
        var json: String
        var relayed: Int
        var errors: Int
    }

    func result() -> Result {
        let seconds = max(1e-9, Double(measureEnd &- measureStart) / 1e9)
        let relayedRate = Double(measuredC2A + measuredA2C) / seconds
        let c2aRate = Double(measuredC2A) / seconds, a2cRate = Double(measuredA2C) / seconds
        let sentRate = Double(measuredSent) / seconds
        func micros(_ h: Histogram<UInt64>, _ p: Double) -> Double { h.totalCount == 0 ? 0 : Double(h.valueAtPercentile(p)) / 1000 }
        let myCPU = (cpuAtEnd.mine - cpuAtStart.mine) / seconds * 100
        var serverCPU: Double?
        if let end = cpuAtEnd.server, let start = cpuAtStart.server { serverCPU = (end - start) / seconds * 100 }
        // The machine's non-idle time (/proc/stat, tick-sampled: under this load it reads
        // lower than the two processes' own precise figures, so it is no measure of what
        // other processes took; bench_relay.py counts those per process).
        var machineCPU: Double?
        if let end = cpuAtEnd.machine, let start = cpuAtStart.machine { machineCPU = (end - start) / seconds * 100 }
        let setupSeconds = pairedAt == 0 ? 0 : Double(pairedAt &- startedAt) / 1e9
        let signInSeconds = agentsReadyAt == 0 ? 0 : Double(agentsReadyAt &- startedAt) / 1e9
        let errors = errorCount

        var text = "relay: \(customersPaired) conversations, \(options.agents) agents, target \(format(options.rate, 0)) customer msg/s"
            + (options.replyEvery > 0 ? " (agents answer every \(options.replyEvery)th)" : "")
            + ", \(format(seconds, 1)) s measured, \(options.url)\(options.deflate ? " (deflate)" : "")\n"
        text += "  relayed \(Int(relayedRate)) msg/s (customer→agent \(Int(c2aRate)), agent→customer \(Int(a2cRate))); customers sent \(Int(sentRate)) msg/s\n"
        text += "  customer→agent latency p50 \(format(micros(c2a, 50) / 1000, 2)) ms  p99 \(format(micros(c2a, 99) / 1000, 2)) ms  "
            + "p99.9 \(format(micros(c2a, 99.9) / 1000, 2)) ms  max \(format(Double(c2a.max) / 1e6, 2)) ms\n"
        text += "  of which: send to the broker's ts p50 \(toBroker.valueAtPercentile(50)) ms p99 \(toBroker.valueAtPercentile(99)) ms, "
            + "ts to the agent p50 \(fromBroker.valueAtPercentile(50)) ms p99 \(fromBroker.valueAtPercentile(99)) ms (±1 ms)\n"
        text += "  agent→customer latency p50 \(format(micros(a2c, 50) / 1000, 2)) ms  p99 \(format(micros(a2c, 99) / 1000, 2)) ms\n"
        text += "  setup: agents available after \(format(signInSeconds, 1)) s, all conversations open after \(format(setupSeconds, 1)) s; "
            + "pacing lag max \(millis(maxLag)) ms, loop stall max \(millis(maxPaceGap)) ms\n"
        text += "  cpu: loadtest \(format(myCPU, 0))% of a core"
        if let serverCPU { text += ", broker \(format(serverCPU, 0))% of a core" }
        text += "\n  errors: \(errors)"
        if errors > 0 {
            var parts: [String] = []
            if !errorCodes.isEmpty {
                parts.append("error messages " + errorCodes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            if unexpectedCloses > 0 { parts.append("unexpected closes \(unexpectedCloses)") }
            if undecodable > 0 { parts.append("undecodable \(undecodable)") }
            if seqMissing > 0 { parts.append("seqs missing \(seqMissing)") }
            if seqDuplicates > 0 { parts.append("seqs twice \(seqDuplicates)") }
            if seqOutOfOrder > 0 { parts.append("seqs out of order \(seqOutOfOrder)") }
            if unacked > 0 { parts.append("sends never acked \(unacked)") }
            if otherErrors > 0 { parts.append("other \(otherErrors)") }
            text += " (" + parts.joined(separator: "; ") + ")\n  first: \(firstError ?? "?")"
        }
        if let aborted { text += "\n  aborted: \(aborted)" }

        let codes = errorCodes.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        var json = "{\"conversations\":\(options.conversations),\"conversations_open\":\(customersPaired),\"agents\":\(options.agents),"
        json += "\"rate_target\":\(format(options.rate, 1)),\"reply_every\":\(options.replyEvery),\"seconds\":\(format(seconds, 3)),"
        json += "\"customer_sent_per_sec\":\(format(sentRate, 1)),\"relayed\":\(measuredC2A + measuredA2C),"
        json += "\"relayed_per_sec\":\(format(relayedRate, 1)),\"c2a_per_sec\":\(format(c2aRate, 1)),\"a2c_per_sec\":\(format(a2cRate, 1)),"
        json += "\"c2a_p50_us\":\(format(micros(c2a, 50), 1)),\"c2a_p99_us\":\(format(micros(c2a, 99), 1)),"
        json += "\"c2a_p999_us\":\(format(micros(c2a, 99.9), 1)),\"c2a_max_us\":\(format(Double(c2a.max) / 1000, 1)),"
        json += "\"a2c_p50_us\":\(format(micros(a2c, 50), 1)),\"a2c_p99_us\":\(format(micros(a2c, 99), 1)),"
        json += "\"a2c_p999_us\":\(format(micros(a2c, 99.9), 1)),"
        json += "\"c2a_to_broker_ts_p50_ms\":\(toBroker.valueAtPercentile(50)),\"c2a_to_broker_ts_p99_ms\":\(toBroker.valueAtPercentile(99)),"
        json += "\"c2a_from_broker_ts_p50_ms\":\(fromBroker.valueAtPercentile(50)),\"c2a_from_broker_ts_p99_ms\":\(fromBroker.valueAtPercentile(99)),"
        json += "\"pacing_lag_max_us\":\(format(Double(maxLag) / 1000, 1)),\"loop_stall_max_us\":\(format(Double(maxPaceGap) / 1000, 1)),\"signin_seconds\":\(format(signInSeconds, 3)),"
        json += "\"setup_seconds\":\(format(setupSeconds, 3)),"
        json += "\"client_cpu_pct\":\(format(myCPU, 1)),\"server_cpu_pct\":\(serverCPU.map { format($0, 1) } ?? "null"),"
        json += "\"machine_cpu_pct\":\(machineCPU.map { format($0, 1) } ?? "null"),"
        json += "\"errors\":\(errors),\"error_codes\":{\(codes)},\"unexpected_closes\":\(unexpectedCloses),\"sign_in_retries\":\(agents.reduce(0) { $0 + $1.signInRetries }),\"undecodable\":\(undecodable),"
        json += "\"seq_missing\":\(seqMissing),\"seq_duplicates\":\(seqDuplicates),\"seq_out_of_order\":\(seqOutOfOrder),"
        json += "\"unacked\":\(unacked),\"undelivered\":\(undelivered),\"other_errors\":\(otherErrors),"
        func counts(_ d: [String: Int]) -> String {
            "{" + d.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
        json += "\"customers_received\":\(counts(customerReceivedTypes)),\"agents_received\":\(counts(agentReceivedTypes)),"
        json += "\"aborted\":\(aborted.map { jsonString($0) } ?? "null"),\"first_error\":\(firstError.map { jsonString($0) } ?? "null")}"
        return Result(text: text, json: json, relayed: measuredC2A + measuredA2C, errors: errors)
    }
}

/// Nanoseconds as milliseconds with two decimals.
private func millis(_ nanos: UInt64) -> String { format(Double(nanos) / 1e6, 2) }

/// A JSON string literal (quotes, backslashes and control characters escaped).
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
