#if canImport(Glibc)
import Glibc
#endif
import ChatCore
import ChatProtocol
import EventLoop
import HeapModule
import Posix
import WebSocket

/// What happened to one contact of a run, in real monotonic nanoseconds (0: not yet).
/// A plain value, owned by the run.
struct ContactRecord {
    var queue: Int
    /// Real nanoseconds with the agent, from the schedule.
    var handleNanos: UInt64
    var patienceNanos: UInt64?
    /// start_chat sent (the arrival).
    var arrivedAt: UInt64 = 0
    /// The customer saw `agent_joined` (the answer).
    var joinedAt: UInt64 = 0
    /// The agent saw `assigned`.
    var assignedAt: UInt64 = 0
    /// The agent sent `end`.
    var endSentAt: UInt64 = 0
    /// The customer hung up / left the line (sent `end` while waiting).
    var abandonedAt: UInt64 = 0
    var finished = false
    var failed = false
    var conversation: String?
    var customer: CenterCustomer?
    var agent: LoadAgent?
    var said = 0
    /// The broker's first estimate of the wait (`queued.estimated_wait_ms`), if any.
    var estimatedWaitMs: Int64?

    var answered: Bool { joinedAt != 0 }
}

/// One load-test customer connection; reused for contact after contact.
final class CenterCustomer: LoadClient {
    let index: Int
    var connection: ClientConnection?
    var welcomed = false
    /// The contact it is playing now (index in the run).
    var contact: Int?
    var closed = false
    init(index: Int) { self.index = index }
}

/// One run's state: the channel, the schedule played, every contact's record.
final class ChannelRun {
    let channel: String
    var records: [ContactRecord]
    var start: UInt64 = 0
    var end: UInt64 = 0
    var nextArrival = 0
    var finishedCount = 0
    var lateArrivals = 0
    var maxArrivalLag: UInt64 = 0
    var errors = 0
    var firstError: String?
    var byConversation: [String: Int] = [:]
    /// The broker's `/v1/stats` body after the run, verbatim.
    var brokerStats: String?
    /// The same before the run (the previous run's, or read at its start): the
    /// broker's figures are cumulative, so the run's own part is the difference.
    var brokerStatsBefore: String?

    init(channel: String, records: [ContactRecord]) {
        self.channel = channel
        self.records = records
    }
}

/// A deferred action of the scenario, due at `at` (monotonic nanoseconds).
struct CenterTimer: Comparable {
    enum Action { case end(Int), abandon(Int), agentSays(Int), customerSays(Int) }
    var at: UInt64
    var order: UInt64
    var action: Action
    static func < (a: CenterTimer, b: CenterTimer) -> Bool { (a.at, a.order) < (b.at, b.order) }
    static func == (a: CenterTimer, b: CenterTimer) -> Bool { a.at == b.at && a.order == b.order }
}

/// Plays a contact-center scenario against a running broker on the load generator's
/// single loop thread: signs the agents in once, then plays the same schedule as a chat
/// run and/or a voice run, one after the other, and records every contact's times.
final class CenterRun: ClientDelegate, Selectable {
    let fd: Int32 = -1
    let scenario: CenterScenario
    let options: ContactCenterBenchmark
    private let clientOptions: ClientOptions
    private let loop: EventLoop
    private let customerURL: WebSocketURL
    private let agentURL: WebSocketURL
    private let schedule: [CenterScenario.Arrival]
    private let channels: [String]
    /// Real nanoseconds per shift second.
    private let nanosPerShiftSecond: Double

    private var agents: [LoadAgent] = []
    private var agentsReady = 0
    private var customers: [CenterCustomer] = []
    private var idle: [CenterCustomer] = []
    private var opening = 0
    private let poolTarget: Int

    private(set) var runs: [ChannelRun] = []
    private var current: ChannelRun?
    private var timers = Heap<CenterTimer>()
    private var timerOrder: UInt64 = 0
    private var scratch: [UInt8] = []
    private let startedAt = monotonicNanoseconds()
    private var lastProgress: UInt64 = 0
    private var deadline: UInt64 = 0
    private(set) var aborted: String?
    private var closing = false
    private var awaitingClose = 0
    private var finished = false
    private(set) var sessionErrors = 0
    private(set) var firstSessionError: String?

    private let customerLines = ["주문한 상품이 아직 안 왔어요.", "배송지를 바꿀 수 있을까요?", "네, 확인 부탁드려요.", "감사합니다!"]
    private let agentLines = ["안녕하세요, 상담원입니다. 확인해 드릴게요.", "주문번호 확인했습니다. 잠시만요.", "오늘 출고 예정입니다.", "더 궁금하신 점 있으신가요?"]

    init(scenario: CenterScenario, options: ContactCenterBenchmark, channels: [String], loop: EventLoop) throws {
        self.scenario = scenario
        self.options = options
        self.channels = channels
        self.loop = loop
        clientOptions = try ClientOptions(url: options.url, deflate: false, subprotocols: [WireProtocol.subprotocol])
        customerURL = options.url.with(path: Role.customer.path)
        agentURL = options.url.with(path: Role.agent.path)
        schedule = scenario.schedule()
        nanosPerShiftSecond = 1e9 / scenario.timeScale
        // Idle customers kept connected ahead of arrivals: a second of arrivals, at least 8.
        let perRealSecond = scenario.arrivalsPerHour / 3_600 * scenario.timeScale
        poolTarget = min(2_000, 8 + Int(perRealSecond.rounded(.up)))
        scratch.reserveCapacity(512)
    }

    // MARK: Session

    func start() throws {
        for index in 0..<scenario.agents {
            let agent = LoadAgent(index: index, login: "\(options.agentLoginPrefix)\(index)")
            agents.append(agent)
            let connection = try ClientConnection(url: agentURL, options: clientOptions, loop: loop, delegate: self)
            connection.tag = -(index + 1)
            agent.connection = connection
        }
        deadline = startedAt &+ UInt64(options.setupTimeout * 1e9)
        if !options.quiet { log("signing in \(scenario.agents) agents on \(agentURL)") }
    }

    private func beginNextRun(now: UInt64) {
        if let run = current {
            run.end = now
            // The broker recomputes its statistics about once a second: wait (at most 6 s)
            // until the run's answered contacts are all in them (nothing is in flight now).
            let answered = Double(run.records.filter(\.answered).count)
            for _ in 0..<12 {
                usleep(500_000)
                run.brokerStats = fetchBrokerStats()
                guard let stats = run.brokerStats else { break }
                let counted = JSONLookup.number(["stats", "wait", run.channel, "run", "wait", "count"], in: stats) ?? -1
                if counted >= answered || counted < 0 { break }
            }
            // The shadow phone queue settles a contact only once real time has passed its
            // shadow answer or hang-up: wait (at most 20 s) until none is pending.
            for _ in 0..<40 {
                guard let stats = run.brokerStats,
                      let pending = JSONLookup.number(["stats", "phone", "shadow", "pending"], in: stats), pending > 0 else { break }
                usleep(500_000)
                run.brokerStats = fetchBrokerStats()
            }
            if !options.quiet { log(progressLine(run, now: now) + "  done") }
        }
        guard runs.count < channels.count else {
            current = nil
            closeAll(now: now)
            return
        }
        let channel = channels[runs.count]
        let factor = channel == "chat" ? scenario.chatHandleFactor : 1
        let records = schedule.map { a in
            ContactRecord(queue: a.queue, handleNanos: UInt64(a.handle * factor * nanosPerShiftSecond),
                          patienceNanos: a.patience.map { UInt64($0 * nanosPerShiftSecond) })
        }
        let run = ChannelRun(channel: channel, records: records)
        run.brokerStatsBefore = runs.last?.brokerStats ?? fetchBrokerStats()
        runs.append(run)
        current = run
        // From the clock now, not `now`: reading the last run's statistics took a while,
        // and a start in the past would send the first arrivals in one burst.
        run.start = monotonicNanoseconds() &+ 200_000_000  // a moment for the customer pool to fill
        let lastArrival = schedule.last.map { $0.at } ?? 0
        let longest = schedule.map { $0.handle * factor + ($0.patience ?? 0) }.max() ?? 0
        // Generous: the whole schedule, then ten times the longest contact, and more if
        // the phone line is overloaded (waits are then bounded only by the run).
        let seconds = (lastArrival * 3 + longest * 10) / scenario.timeScale + 30
        deadline = run.start &+ UInt64(min(seconds, options.runTimeout) * 1e9)
        if !options.quiet {
            log("\(channel) run: \(scenario.contacts) contacts over ~\(format(lastArrival / scenario.timeScale, 0)) s "
                + "(\(format(lastArrival / 60, 0)) shift minutes), \(scenario.agents) agents"
                + (channel == "chat" ? " × \(scenario.chatCapacity) chats" : " × 1 call"))
        }
        fillPool()
    }

    // MARK: Customers

    private func fillPool() {
        guard let run = current, !closing else { return }
        let remaining = run.records.count - run.nextArrival
        while idle.count + opening < min(poolTarget, remaining) {
            let customer = CenterCustomer(index: customers.count)
            customers.append(customer)
            do {
                let connection = try ClientConnection(url: customerURL, options: clientOptions, loop: loop, delegate: self)
                connection.tag = customer.index
                customer.connection = connection
                opening += 1
            } catch {
                sessionError("customer \(customer.index): cannot connect: \(error)")
                return
            }
        }
    }

    private func arrive(_ index: Int, run: ChannelRun, now: UInt64) -> Bool {
        guard let customer = idle.popLast(), let client = customer.connection else { return false }
        customer.contact = index
        run.records[index].customer = customer
        run.records[index].arrivedAt = now
        client.send(CustomerMessage.startChat(StartChat(id: "s\(index)", queue: scenario.queueKey(run.records[index].queue),
                                                        channel: run.channel == "voice" ? ChatProtocol.Channel.voice : nil,
                                                        name: "고객 \(runs.count) \(index)")), scratch: &scratch)
        client.flush()
        if let patience = run.records[index].patienceNanos { schedule(.abandon(index), at: now &+ patience) }
        return true
    }

    /// The contact is over for the customer: the connection goes back to the pool.
    private func release(_ customer: CenterCustomer) {
        customer.contact = nil
        if !customer.closed && customer.welcomed { idle.append(customer) }
    }

    private func finish(_ index: Int, run: ChannelRun) {
        guard !run.records[index].finished else { return }
        run.records[index].finished = true
        run.finishedCount += 1
    }

    private func contactError(_ run: ChannelRun, _ index: Int?, _ text: String) {
        run.errors += 1
        if run.firstError == nil { run.firstError = text }
        if !options.quiet && run.errors <= 10 { log("\(run.channel): \(text)") }
        if let index {
            run.records[index].failed = true
            finish(index, run: run)
        }
    }

    // MARK: Timers

    private func schedule(_ action: CenterTimer.Action, at: UInt64) {
        timerOrder += 1
        timers.insert(CenterTimer(at: at, order: timerOrder, action: action))
    }

    private func fire(_ action: CenterTimer.Action, run: ChannelRun, now: UInt64) {
        switch action {
        case .end(let i):
            var record = run.records[i]
            guard !record.finished, record.endSentAt == 0, let conversation = record.conversation,
                  let client = record.agent?.connection else { return }
            record.endSentAt = now
            run.records[i] = record
            send(client, .end(AgentEnd(id: "e\(i)", conversation: conversation)))
        case .abandon(let i):
            let record = run.records[i]
            guard !record.finished, !record.answered, record.abandonedAt == 0,
                  let client = record.customer?.connection else { return }
            run.records[i].abandonedAt = now
            sendCustomer(client, .end(BareRequest(id: "x\(i)")))
        case .agentSays(let i):
            let record = run.records[i]
            guard !record.finished, record.endSentAt == 0, let conversation = record.conversation,
                  let client = record.agent?.connection else { return }
            run.records[i].said += 1
            send(client, .send(AgentSend(id: "a\(i)-\(record.said)", conversation: conversation,
                                         text: agentLines[record.said % agentLines.count])))
        case .customerSays(let i):
            let record = run.records[i]
            guard !record.finished, record.endSentAt == 0, let client = record.customer?.connection else { return }
            run.records[i].said += 1
            sendCustomer(client, .send(CustomerSend(id: "m\(i)-\(record.said)", text: customerLines[record.said % customerLines.count])))
        }
    }

    private func thinkNanos(_ random: inout SplitMix64) -> UInt64 {
        UInt64(max(0, scenario.thinkTime.sample(&random)) * nanosPerShiftSecond)
    }

    private var thinking = SplitMix64(seed: 0x5EED)

    // MARK: Pacing (every 0.5 ms, on the loop)

    func pace() {
        let now = monotonicNanoseconds()
        guard !finished else { return }
        if closing {
            if now > deadline { stop() }
            return
        }
        if now > deadline {
            abort(current == nil ? "agents did not all sign in within \(format(options.setupTimeout, 0)) s"
                                 : "the \(current!.channel) run did not finish within its time limit")
            return
        }
        guard let run = current else { return }
        while run.nextArrival < run.records.count {
            let due = run.start &+ UInt64(schedule[run.nextArrival].at * nanosPerShiftSecond)
            guard now >= due else { break }
            guard arrive(run.nextArrival, run: run, now: now) else {
                run.lateArrivals += 1  // no idle customer connection yet; retried next wake-up
                break
            }
            if now &- due > 2_000_000 { run.lateArrivals += 1 }
            run.maxArrivalLag = max(run.maxArrivalLag, now &- due)
            run.nextArrival += 1
        }
        while let timer = timers.min, timer.at <= now {
            timers.removeMin()
            fire(timer.action, run: run, now: now)
        }
        fillPool()
        for customer in customers where customer.contact != nil { customer.connection?.flush() }
        for agent in agents { agent.connection?.flush() }
        if now &- lastProgress >= 1_000_000_000 {
            lastProgress = now
            if !options.quiet { log(progressLine(run, now: now)) }
        }
        if run.finishedCount == run.records.count { beginNextRun(now: now) }
    }

    func progressLine(_ run: ChannelRun, now: UInt64) -> String {
        var answered = 0, abandoned = 0, waiting = 0, total = 0.0
        for r in run.records[0..<run.nextArrival] {
            if r.answered {
                answered += 1
                total += Double(r.joinedAt &- r.arrivedAt)
            } else if r.abandonedAt != 0 {
                abandoned += 1
            } else if !r.finished {
                waiting += 1
            }
        }
        let meanShift = answered > 0 ? total / Double(answered) / nanosPerShiftSecond : 0
        let inService = run.records[0..<run.nextArrival].filter { $0.answered && !$0.finished }.count
        return "\(run.channel) \(format(now > run.start ? Double(now - run.start) / 1e9 : 0, 0)) s: arrived \(run.nextArrival)/\(run.records.count), "
            + "answered \(answered), abandoned \(abandoned), waiting \(waiting), with agents \(inService); "
            + "mean wait \(format(meanShift, 1)) shift s; errors \(run.errors)"
    }

    // MARK: Connections

    func clientOpened(_ client: ClientConnection, now: UInt64) {
        client.sendHello(agent: client.tag < 0 ? agents[-client.tag - 1] : nil, secret: options.agentSecret, scratch: &scratch)
    }

    func clientClosed(_ client: ClientConnection, error: String?) {
        if client.tag < 0 {
            let agent = agents[-client.tag - 1]
            agent.closed = true
            if !closing { abort("agent \(agent.login) was disconnected: \(error ?? "closed")") }
        } else {
            let customer = customers[client.tag]
            customer.closed = true
            if !customer.welcomed && !closing { opening -= 1 }
            idle.removeAll { $0 === customer }
            if !closing {
                if let run = current, let index = customer.contact {
                    contactError(run, index, "customer connection closed: \(error ?? "closed")")
                } else {
                    sessionError("customer \(customer.index): connection closed: \(error ?? "closed")")
                }
            }
        }
        if closing {
            awaitingClose -= 1
            if awaitingClose <= 0 { stop() }
        }
    }

    func client(_ client: ClientConnection, received opcode: Opcode, payload: UnsafeRawBufferPointer, now: UInt64) {
        guard opcode == .text, let message = try? ServerMessage.decode(payload, utf8: .validated) else {
            sessionError("undecodable message from the broker")
            return
        }
        if client.tag < 0 {
            agentReceived(message, agent: agents[-client.tag - 1], client: client, now: now)
        } else {
            customerReceived(message, customer: customers[client.tag], client: client, now: now)
        }
    }

    private func customerReceived(_ message: ServerMessage, customer: CenterCustomer, client: ClientConnection, now: UInt64) {
        if case .welcome = message {
            customer.welcomed = true
            opening -= 1
            idle.append(customer)
            return
        }
        guard let run = current, let index = customer.contact else { return }
        switch message {
        case .queued(let queued):
            if run.records[index].estimatedWaitMs == nil { run.records[index].estimatedWaitMs = queued.estimatedWaitMs }
        case .event(.agentJoined(let joined)):
            guard run.records[index].joinedAt == 0 else { return }
            run.records[index].joinedAt = now
            run.records[index].conversation = joined.conversation
            run.byConversation[joined.conversation] = index
        case .event(.message(let m)) where m.from == .agent:
            if run.channel == "chat" { schedule(.customerSays(index), at: now &+ thinkNanos(&thinking)) }
        case .event(.ended):
            finish(index, run: run)
            release(customer)
        case .ack(let ack) where ack.id == "x\(index)":
            // Left the line; if an agent had already joined, `ended` follows instead.
            if !run.records[index].answered {
                finish(index, run: run)
                release(customer)
            }
        case .leaveMessageOffered(let offered):
            contactError(run, index, "offered to leave a message (\(offered.reason.rawValue)): no agent on duty for the queue?")
            release(customer)
        case .faqSuggestions:
            sendCustomer(client, .faqContinue(BareRequest(id: "f\(index)")))
        case .error(let report):
            if report.id == "s\(index)" {
                contactError(run, index, "start_chat refused: \(report.code.rawValue) \(report.message)")
                release(customer)
            } else if report.id == "x\(index)" {
                // The contact ended before our hang-up arrived (answered and ended meanwhile).
                if !run.records[index].answered { finish(index, run: run); release(customer) }
            } else if report.id?.hasPrefix("m") != true {
                contactError(run, nil, "customer: \(report.code.rawValue) \(report.message)")
            }
        default:
            break
        }
    }

    private func agentReceived(_ message: ServerMessage, agent: LoadAgent, client: ClientConnection, now: UInt64) {
        switch message {
        case .welcome:
            send(client, .setStatus(SetStatus(id: "st", status: .available)))
        case .ack(let ack) where ack.id == "st":
            guard !agent.ready else { return }
            agent.ready = true
            agentsReady += 1
            if agentsReady == agents.count {
                if !options.quiet {
                    log("\(agentsReady) agents available after \(format(Double(now &- startedAt) / 1e9, 1)) s")
                }
                beginNextRun(now: now)
            }
        case .offer(let offer):
            send(client, .accept(OfferReply(id: "o", offer: offer.offer)))
        case .assigned(let assigned):
            guard let run = current else { return }
            guard let index = contactIndex(assigned.customer.name, run: run) else {
                contactError(run, nil, "assigned a conversation of no contact of this run (\(assigned.customer.name ?? "no name"))")
                return
            }
            let expected = run.channel
            if assigned.channel.rawValue != expected {
                contactError(run, nil, "\(expected) contact assigned as \(assigned.channel.rawValue)")
            }
            guard run.records[index].assignedAt == 0 else { return }
            run.records[index].assignedAt = now
            run.records[index].agent = agent
            run.records[index].conversation = assigned.conversation
            run.byConversation[assigned.conversation] = index
            schedule(.end(index), at: now &+ run.records[index].handleNanos)
            if run.channel == "chat" { schedule(.agentSays(index), at: now &+ thinkNanos(&thinking)) }
        case .event(.message(let m)) where m.from == .customer && m.clientID != nil:
            guard let run = current, run.channel == "chat", let index = run.byConversation[m.conversation] else { return }
            schedule(.agentSays(index), at: now &+ thinkNanos(&thinking))
        case .error(let report):
            if report.id == "st" || report.fatal {
                abort("agent \(agent.login) could not sign in: \(report.code.rawValue) \(report.message)")
            } else if let run = current, report.id?.hasPrefix("e") != true, report.id?.hasPrefix("a") != true {
                // Ends and replies may race a customer's hang-up; anything else is wrong.
                contactError(run, nil, "agent \(agent.login): \(report.code.rawValue) \(report.message)")
            }
        default:
            break
        }
    }

    /// The contact index from the customer name "고객 <run> <index>".
    private func contactIndex(_ name: String?, run: ChannelRun) -> Int? {
        guard let parts = name?.split(separator: " "), parts.count == 3, Int(parts[1]) == runs.count,
              let index = Int(parts[2]), index >= 0, index < run.records.count else { return nil }
        return index
    }

    private func send(_ client: ClientConnection, _ message: AgentMessage) {
        client.send(message, scratch: &scratch)
        client.flush()
    }

    private func sendCustomer(_ client: ClientConnection, _ message: CustomerMessage) {
        client.send(message, scratch: &scratch)
        client.flush()
    }

    // MARK: The end

    func handleEvent(_ flags: EpollFlags) {}

    func tick(now: UInt64) {}

    private func sessionError(_ text: String) {
        sessionErrors += 1
        if firstSessionError == nil { firstSessionError = text }
        if !options.quiet && sessionErrors <= 10 { log(text) }
    }

    private func abort(_ reason: String) {
        guard aborted == nil else { return }
        aborted = reason
        log("giving up: \(reason)")
        if let run = current, run.end == 0 { run.end = monotonicNanoseconds() }
        closeAll(now: monotonicNanoseconds())
    }

    private func closeAll(now: UInt64) {
        guard !closing else { return }
        closing = true
        let open = openConnections(customers, agents)
        awaitingClose = open.count
        if open.isEmpty { stop() }
        for connection in open { connection.closeGracefully() }
        deadline = now &+ 5_000_000_000
    }

    private func stop() {
        guard !finished else { return }
        finished = true
        for customer in customers where !customer.closed { customer.connection?.close() }
        for agent in agents where !agent.closed { agent.connection?.close() }
        loop.stop()
    }

    // MARK: Broker figures

    /// `GET /v1/stats` from the broker (plain HTTP on the same host and port), or nil.
    private func fetchBrokerStats() -> String? {
        guard !options.url.secure else { return nil }
        return httpGet(host: options.url.host, port: options.url.port, path: "/v1/stats")
    }
}
