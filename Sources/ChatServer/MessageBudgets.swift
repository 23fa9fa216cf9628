import ChatCore

/// The message budgets that outlive a connection (protocol/README.md, "Limits"): one
/// per customer session, one per staff account and, with
/// `[limits] max_messages_per_second_per_address`, one per client address. The I/O
/// loop's per-connection `MessageRate` starts full on every new socket; these do not,
/// so a client closed with 4008 that resumes at once finds its budget as it left it
/// (and its penalty running) instead of a fresh burst. An address's budget is shared
/// by everyone behind it, so going over it is refused but never fatal.
///
/// A plain value owned by `ServiceDesk` on the domain thread; time comes in as
/// monotonic nanoseconds.
struct MessageBudgets {
    /// Whose budget a message spends.
    enum Owner: Hashable {
        case session(token: String)
        case agent(AgentID)
        case supervisor(login: String)
        case address(String)
    }

    let perSecond: Int
    let burst: Int
    /// Messages per second per client address; 0: no address budget.
    let perAddress: Int
    private var budgets: [Owner: MessageRate] = [:]
    /// History bytes per session or account.
    private var history: [Owner: ByteBudget] = [:]
    let historyPerSecond: Int
    /// The client address of each connection that said `hello` (address budget only).
    private var addresses: [ConnectionID: String] = [:]
    /// Connections refused fatally: nothing more of theirs is answered before the close.
    private var silenced: Set<ConnectionID> = []
    private var sweptAt: UInt64 = 0

    init(limits: BrokerLimits) {
        perSecond = limits.maxMessagesPerSecond
        burst = limits.messageBurst
        perAddress = limits.maxMessagesPerSecondPerAddress
        historyPerSecond = limits.historyBytesPerSecond
    }

    var count: Int { budgets.count + history.count }

    /// Milliseconds `owner` must wait before its next `fetch_history`; nil: it may go.
    mutating func historyWait(of owner: Owner?, now: UInt64) -> Int64? {
        guard let owner, historyPerSecond > 0 else { return nil }
        return history[owner]?.wait(now: now)
    }

    /// `owner` was sent `bytes` of history (also on a resume, which is never refused).
    mutating func spentOnHistory(_ bytes: Int, by owner: Owner?, now: UInt64) {
        guard let owner, historyPerSecond > 0 else { return }
        history[owner, default: ByteBudget(perSecond: historyPerSecond, burst: 16 * historyPerSecond, now: now)]
            .spend(bytes, now: now)
    }

    mutating func arrived(_ connection: ConnectionID, address: String) {
        if perAddress > 0 { addresses[connection] = address }
    }

    mutating func closed(_ connection: ConnectionID) {
        addresses[connection] = nil
        silenced.remove(connection)
    }

    func isSilenced(_ connection: ConnectionID) -> Bool { silenced.contains(connection) }

    /// Spends one message from `owner`'s budget (if any) and then from the
    /// connection's address's; the first refusal is the verdict. A fatal one silences
    /// the connection.
    mutating func admit(_ owner: Owner?, on connection: ConnectionID, now: UInt64) -> MessageRate.Verdict {
        var verdict = MessageRate.Verdict.allowed
        if let owner { verdict = spend(owner, now: now) }
        if verdict == .allowed, let address = addresses[connection] { verdict = spend(.address(address), now: now) }
        if case .exceeded = verdict { silenced.insert(connection) }
        return verdict
    }

    /// The connection's own bucket closed it with 4008: its owner serves the penalty
    /// too, so reconnecting does not escape it.
    mutating func punish(_ owner: Owner, now: UInt64) {
        if case .address = owner { return }
        budgets[owner, default: MessageRate(perSecond: perSecond, burst: burst, now: now)].punish(now: now)
    }

    /// Milliseconds left of the penalty `owner` (or the connection's address) earned
    /// with a fatal refusal; nil when there is none. Spends nothing.
    mutating func penalty(of owner: Owner?, on connection: ConnectionID, now: UInt64) -> Int64? {
        let address = addresses[connection].map(Owner.address)
        let wait = [owner, address].compactMap { $0.flatMap { budgets[$0]?.penalty(now: now) } }.max()
        if wait != nil { silenced.insert(connection) }
        return wait
    }

    /// Drops the budgets that are full again with nothing to remember, every ten
    /// seconds at most (it walks them all).
    mutating func forgetRested(now: UInt64) {
        guard now &- sweptAt >= MessageRate.strikeWindow else { return }
        sweptAt = now
        budgets = budgets.filter { !$0.value.isAtRest(now: now) }
        history = history.filter { !$0.value.isAtRest(now: now) }
    }

    private mutating func spend(_ owner: Owner, now: UInt64) -> MessageRate.Verdict {
        if case .address = owner {
            // Shared by everyone behind the address: over it is never fatal.
            return budgets[owner, default: MessageRate(perSecond: perAddress, burst: 2 * perAddress, now: now, escalates: false)]
                .admit(now: now)
        }
        return budgets[owner, default: MessageRate(perSecond: perSecond, burst: burst, now: now)].admit(now: now)
    }
}

/// A budget of bytes sent in answer to `fetch_history` (protocol/README.md, "Limits"):
/// a token bucket that may go into debt, because an answer's size is known only once
/// it is made. A request while it is in debt is refused with `rate_limited` until the
/// debt is paid back (hardening issue: `fetch_history` at 19/s, within the message
/// rate, made 40,000 times its bytes and 40% of a core for one customer). A plain value.
struct ByteBudget {
    let perSecond: Double
    let burst: Double
    private var balance: Double
    private var updatedAt: UInt64

    init(perSecond: Int, burst: Int, now: UInt64) {
        self.perSecond = Double(max(1, perSecond))
        self.burst = Double(max(1, burst))
        balance = self.burst
        updatedAt = now
    }

    /// Milliseconds until the budget is out of debt; nil when a request may go now.
    mutating func wait(now: UInt64) -> Int64? {
        refill(now: now)
        guard balance < 0 else { return nil }
        return Int64((-balance / perSecond * 1000).rounded(.up))
    }

    mutating func spend(_ bytes: Int, now: UInt64) {
        refill(now: now)
        balance -= Double(bytes)
    }

    func isAtRest(now: UInt64) -> Bool { balance + Double(now &- updatedAt) / 1e9 * perSecond >= burst }

    private mutating func refill(now: UInt64) {
        guard now > updatedAt else { return }
        balance = min(burst, balance + Double(now - updatedAt) / 1e9 * perSecond)
        updatedAt = now
    }
}
