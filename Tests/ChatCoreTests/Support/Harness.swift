import ChatCore

/// A `ContactCenter` on a `ManualClock`, with shortcuts that keep the tests short.
/// Every notice a command returns is also kept in `log`. One per test, on its thread.
final class Harness {
    let clock: ManualClock
    let center: ContactCenter<ManualClock>
    private(set) var log: [Notice] = []
    /// Called with every command's notices, right after it (e.g. to feed `WaitStatistics`).
    var onNotices: (([Notice]) -> Void)?

    static let orders = QueueID(0)
    static let returns = QueueID(1)
    static let products = QueueID(2)
    static let other = QueueID(3)

    init(wall: WallTime = WallTime(millisecondsSince1970: 0), _ configure: (inout CenterConfiguration) -> Void = { _ in }) throws {
        var configuration = CenterConfiguration()
        configure(&configuration)
        clock = ManualClock(now: Instant(milliseconds: 1_000), wall: wall)
        center = try ContactCenter(configuration: configuration, clock: clock)
    }

    /// Records and returns a command's notices.
    @discardableResult
    func run(_ notices: [Notice]) -> [Notice] {
        log += notices
        onNotices?(notices)
        return notices
    }

    /// Adds an agent, available unless `status` says otherwise.
    @discardableResult
    func agent(_ handle: String, _ skills: [QueueID] = [Harness.orders], chat: Int = 3, voice: Int = 1,
               status: AgentStatus = .available) throws -> AgentID {
        let id = try center.addAgent(AgentProfile(handle: handle, displayName: handle.uppercased(), skills: skills,
                                                  capacity: Capacity(chat: chat, voice: voice)))
        if status != .offline { run(try center.setStatus(id, status)) }
        return id
    }

    /// A customer arrives; returns the contact.
    @discardableResult
    func arrive(_ queue: QueueID = Harness.orders, _ channel: Channel = .chat, message: String = "",
                language: Language = .ko) throws -> ContactID {
        let (id, notices) = try center.customerArrives(
            ContactRequest(queue: queue, channel: channel, language: language,
                           preChat: PreChat(customerName: "고객", orderNumber: "2024-0001", firstMessage: message)))
        run(notices)
        return id
    }

    /// Moves time on and runs the due timers.
    @discardableResult
    func advance(seconds: Int) -> [Notice] {
        clock.advance(by: .seconds(seconds))
        return run(center.fireDueTimers())
    }

    func contact(_ id: ContactID) -> Contact { center.contact(id)! }

    func conversation(of id: ContactID) -> ConversationID? { center.contact(id)?.conversation }

    /// The agent holding the contact now.
    func holder(of id: ContactID) -> AgentID? {
        guard case .inConversation = center.contact(id)?.state else { return nil }
        return center.contact(id)?.agent
    }

    /// The open offer for a contact, if any.
    func offer(for id: ContactID) -> Offer? {
        guard case .offered(let offer) = center.contact(id)?.state else { return nil }
        return center.offer(offer)
    }

    func state(_ id: ContactID) -> ContactState? { center.contact(id)?.state }

    func waiting(_ queue: QueueID = Harness.orders, _ channel: Channel = .chat) -> [ContactID] {
        center.waitingContacts(in: LineID(queue: queue, channel: channel))
    }
}

extension QueueID {
    static let orders = Harness.orders
    static let returns = Harness.returns
    static let products = Harness.products
    static let other = Harness.other
}
