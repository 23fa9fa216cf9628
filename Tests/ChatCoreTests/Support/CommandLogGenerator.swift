import ChatCore

/// Random but plausible command logs for the replica tests, replayed exactly from a
/// seed (SplitMix64; nothing else random is read).
///
/// It writes the log the way a leader would: it keeps a replica of its own, picks ids
/// from that replica's state and from the notices it got (and now and then a bogus id,
/// so refusals are logged too), lets time advance by random steps (within offer
/// timeouts and grace periods, past them, and across business-hour boundaries), and
/// logs `fireDueTimers` when a deadline is due. Some entries are stamped earlier than
/// the one before (another writer's clock) and the wall clock is sometimes stepped.
/// One per log, on the test's thread.
struct CommandLogGenerator {
    /// Three queues of small capacity, FAQ answers, weekday business hours with a
    /// Friday night shift and holidays (Seoul), small limits so that refusals happen,
    /// and a short history so that ended contacts are forgotten.
    static func configuration(offerMode: Bool) -> CenterConfiguration {
        var c = CenterConfiguration()
        c.queues = Array(c.queues.prefix(3))
        c.queues[0].maxWaiting = 5
        c.queues[1].maxWaiting = 8
        c.routing = offerMode ? .offer(timeout: .seconds(10)) : .direct
        c.reofferDelay = .seconds(20)
        c.customerGracePeriod = .seconds(30)
        c.agentGracePeriod = .seconds(15)
        c.businessHours = BusinessHoursTests.hours
        c.faqEntries = FAQIndexTests.entries
        c.maxPendingMessages = 6
        c.maxMessageLength = 60
        c.maxCommentLength = 20
        c.endedContactsKept = 40
        return c
    }

    /// Thursday 2025-01-09, 08:30 in Seoul: half an hour before opening.
    static let startWall = BusinessHoursTests.seoul(9, "08:30")
    static let startAt = Instant(milliseconds: 5_000_000)

    static let messages = ["", "", "배송이 언제 와요?", "환불은 언제 되나요", "안녕하세요", "When will my order arrive?",
                           "주소를 바꾸고 싶어요", "상품이 불량이에요 😢"]
    static let queues = [QueueID(0), QueueID(1), QueueID(2)]

    private var random: SplitMix64
    let scratch: CenterReplica
    private var at: Instant
    private var wall: WallTime
    private var agentCount = 0
    private var contacts: [ContactID] = []
    private var closedOut: [ContactID] = []
    private var conversations: [ConversationID] = []
    private var knownConversations = Set<ConversationID>()  // membership only
    private(set) var entries: [LoggedCommand] = []
    /// The start times every replica of this log must be made with.
    let start: (at: Instant, wall: WallTime)
    /// What the generator's own replica made of each entry.
    private(set) var outcomes: [CommandOutcome] = []
    /// Entries stamped earlier than the time the one before was applied at.
    private(set) var backwardEntries = 0

    /// A log of `count` entries for `configuration`, starting within 60 hours of
    /// `startWall` (the seed picks where).
    init(seed: UInt64, configuration: CenterConfiguration, count: Int) throws {
        random = SplitMix64(seed: seed)
        let offset = Int64(random.next(below: 60 * 3_600)) * 1_000
        at = Self.startAt
        wall = Self.startWall.advanced(by: .milliseconds(offset))
        start = (at, wall)
        scratch = try CenterReplica(configuration: configuration, at: at, wall: wall)
        while entries.count < count { step() }
    }

    private mutating func step() {
        // Time passes: mostly seconds, sometimes past offer timeouts and grace periods,
        // rarely hours (business hours open and close).
        let delta: Int64 = switch random.next(below: 40) {
        case 0: Int64(1_800_000 + random.next(below: 9_000_000))
        case 1..<8: Int64(5_000 + random.next(below: 40_000))
        default: Int64(random.next(below: 3_000))
        }
        let due = scratch.engine.nextDeadline
        let next = at.advanced(by: .milliseconds(delta))
        // A leader fires timers when they are due, so most deadlines get their entry.
        if let due, due <= next, random.next(below: 4) != 0 {
            move(to: max(due, at))
            log(.fireDueTimers)
            return
        }
        move(to: next)
        if random.next(below: 150) == 0 {
            // An NTP step of the wall clock alone, either way.
            wall = wall.advanced(by: .seconds(random.next(below: 2) == 0 ? -300 : 300))
        }
        log(makeCommand())
    }

    private mutating func move(to instant: Instant) {
        wall = wall.advanced(by: at.duration(to: instant))
        at = instant
    }

    private mutating func log(_ command: CenterCommand) {
        var entry = LoggedCommand(at: at, wall: wall, command: command)
        if random.next(below: 50) == 0 {
            // Stamped by a writer whose clock is behind: the replicas apply it at the
            // previous entry's times.
            entry.at = at.advanced(by: .milliseconds(-Int64(1 + random.next(below: 5_000))))
            entry.wall = wall.advanced(by: .milliseconds(-Int64(random.next(below: 5_000))))
        }
        if entry.at < scratch.now { backwardEntries += 1 }
        let outcome = scratch.apply(entry)
        entries.append(entry)
        outcomes.append(outcome)
        learn(from: outcome)
    }

    private mutating func learn(from outcome: CommandOutcome) {
        if let contact = outcome.createdContact { contacts.append(contact) }
        if outcome.createdAgent != nil { agentCount += 1 }
        for notice in outcome.notices {
            switch notice {
            case .leaveMessageOffered(let contact, _): closedOut.append(contact)
            case .assigned(let conversation, _, _):
                if knownConversations.insert(conversation).inserted { conversations.append(conversation) }
            default: break
            }
        }
    }

    // MARK: - Commands

    private mutating func makeCommand() -> CenterCommand {
        if agentCount < 4 { return addAgent() }
        let engine = scratch.engine
        switch random.next(below: 100) {
        case 0..<3: return addAgent()
        case 3..<13: return .setStatus(agent(), pick(AgentStatus.allCases)!)
        case 13..<16: return .agentDisconnected(agent())
        case 16..<20: return .agentReconnected(agent())
        case 20..<36: return .customerArrives(request())
        case 36..<44:
            let (offer, agent) = offer()
            return random.next(below: 3) == 0 ? .declineOffer(offer, by: agent) : .acceptOffer(offer, by: agent)
        case 44..<51:
            let (conversation, agent) = held()
            return .agentReplied(in: conversation, by: agent)
        case 51..<58:
            let (conversation, agent) = held()
            return .endConversation(conversation, by: agent)
        case 58..<62:
            let (conversation, agent) = held()
            let target: TransferTarget = random.next(below: 2) == 0 ? .queue(queue()) : .agent(self.agent())
            return .transfer(conversation, to: target, by: agent)
        case 62..<66:
            let consulting = contacts.filter { engine.contact($0)?.state == .consultingFAQ }
            let contact = pick(consulting) ?? self.contact()
            switch random.next(below: 4) {
            case 0: return .resolveWithFAQ(contact, entryID: nil)
            case 1: return .resolveWithFAQ(contact, entryID: pick(["delivery-time", "refund-time", "no-such-entry"])!)
            default: return .continueAfterFAQ(contact)
            }
        case 66..<70:
            let replyTo = random.next(below: 2) == 0 ? "010-1234-5678" : nil
            return .leaveMessage(after: pick(closedOut) ?? contact(), text: messageText(), replyTo: replyTo)
        case 70: return .restoreMessage(request(), text: messageText())
        case 71..<76: return .customerLeaves(contact())
        case 76..<80: return .customerDisconnected(contact())
        case 80..<85: return .customerReconnected(contact())
        case 85..<91:
            let ended = conversations.filter { engine.conversation($0)?.isEnded == true }
            let conversation = pick(ended) ?? pick(conversations) ?? ConversationID(77)
            var customer = engine.conversation(conversation)?.contact ?? contact()
            if random.next(below: 10) == 0 { customer = contact() }  // perhaps someone else's
            let comment: String? = pick([nil, "", "친절했어요", "good", String(repeating: "길", count: 25)])!
            return .rate(conversation, by: customer, score: random.next(below: 7), comment: comment)
        default: return .fireDueTimers
        }
    }

    private mutating func addAgent() -> CenterCommand {
        var skills = Self.queues.filter { _ in random.next(below: 2) == 0 }
        if skills.isEmpty { skills = [pick(Self.queues)!] }
        if random.next(below: 4) == 0 { skills.append(skills[0]) }  // repeats are allowed
        var handle = "agent\(entries.count)"
        var capacity = Capacity(chat: 2 + random.next(below: 3), voice: random.next(below: 2))
        switch random.next(below: 20) {
        case 0: handle = "agent0"  // perhaps taken
        case 1: skills.append(QueueID(7))  // no such queue
        case 2: capacity.voice = 2  // invalid
        default: break
        }
        return .addAgent(AgentProfile(handle: handle, displayName: "상담원 \(entries.count)", skills: skills,
                                      capacity: capacity))
    }

    private mutating func request() -> ContactRequest {
        let channel: Channel = switch random.next(below: 20) {
        case 0..<3: .voice
        case 3..<5: .email
        case 5: .faq  // refused
        default: .chat
        }
        let queue = random.next(below: 40) == 0 ? QueueID(9) : queue()
        var message = pick(Self.messages)!
        if channel == .email && random.next(below: 3) != 0 { message = "메일로 답 주세요" }
        return ContactRequest(queue: queue, channel: channel, language: random.next(below: 4) == 0 ? .en : .ko,
                              preChat: PreChat(customerName: "고객\(entries.count)", orderNumber: "2025-\(entries.count)",
                                               product: random.next(below: 2) == 0 ? "" : "운동화", firstMessage: message))
    }

    private mutating func messageText() -> String {
        switch random.next(below: 8) {
        case 0: "   "  // empty
        case 1: String(repeating: "가", count: 61)  // too long
        default: "연락 주세요 \(entries.count)"
        }
    }

    // MARK: - Ids, mostly real

    private mutating func agent() -> AgentID {
        random.next(below: 25) == 0 ? AgentID(Int32(agentCount + 5)) : AgentID(Int32(random.next(below: agentCount)))
    }

    private mutating func queue() -> QueueID { pick(Self.queues)! }

    private mutating func contact() -> ContactID {
        random.next(below: 25) == 0 ? ContactID(0xDEAD_BEEF) : pick(contacts) ?? ContactID(1)
    }

    private mutating func offer() -> (OfferID, AgentID) {
        let open = scratch.engine.agents.flatMap { a in a.offers.map { (o: $0, a: a.id) } }
        switch random.next(below: 12) {
        case 0: return (OfferID(999_999), agent())
        case 1: if let o = pick(open) { return (o.o, agent()) }  // perhaps another agent's
        default: if let o = pick(open) { return (o.o, o.a) }
        }
        return (OfferID(UInt64(1 + random.next(below: 40))), agent())  // probably expired
    }

    private mutating func held() -> (ConversationID, AgentID) {
        let held = scratch.engine.agents.flatMap { a in a.conversations.map { (c: $0, a: a.id) } }
        switch random.next(below: 12) {
        case 0: return (ConversationID(123_456_789), agent())
        case 1: if let h = pick(held) { return (h.c, agent()) }  // perhaps another agent's
        default: if let h = pick(held) { return (h.c, h.a) }
        }
        return (pick(conversations) ?? ConversationID(1), agent())  // probably ended
    }

    private mutating func pick<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[random.next(below: items.count)]
    }
}
