import ChatProtocol
import Posix
import Privacy
import Synchronization

/// The broker's figures for `/metrics` and `/v1/stats`: counters that any thread
/// bumps, and the center's gauges that the domain thread publishes every tick
/// (a quarter second). Shared by every thread; Sendable through atomics and a mutex.
final class BrokerMetrics: Sendable {
    let startedAt = monotonicNanoseconds()
    let customersOpen = Atomic<Int>(0)
    let agentsOpen = Atomic<Int>(0)
    let supervisorsOpen = Atomic<Int>(0)
    let connectionsTotal = Atomic<Int>(0)
    let messagesReceived = Atomic<Int>(0)
    /// Chat messages recorded and passed to the other side.
    let messagesRelayed = Atomic<Int>(0)
    private let errors = Mutex<[ErrorCode: Int]>([:])
    /// Messages in which a personal number of each kind was masked (rare: a mutex).
    private let masked = Mutex<[String: Int]>([:])
    private let published = Mutex<CenterGauges>(CenterGauges())

    func opened(_ role: Role, by delta: Int) {
        switch role {
        case .customer: customersOpen.add(delta, ordering: .relaxed)
        case .agent: agentsOpen.add(delta, ordering: .relaxed)
        case .supervisor: supervisorsOpen.add(delta, ordering: .relaxed)
        }
        if delta > 0 { connectionsTotal.add(1, ordering: .relaxed) }
    }

    func open(_ role: Role) -> Int {
        switch role {
        case .customer: customersOpen.load(ordering: .relaxed)
        case .agent: agentsOpen.load(ordering: .relaxed)
        case .supervisor: supervisorsOpen.load(ordering: .relaxed)
        }
    }

    func countError(_ code: ErrorCode) {
        errors.withLock { $0[code, default: 0] += 1 }
    }

    var errorCounts: [ErrorCode: Int] { errors.withLock { $0 } }

    func countMasked(_ kinds: PersonalDataKinds) {
        masked.withLock { for kind in kinds { $0[kind.rawValue, default: 0] += 1 } }
    }

    /// Every kind, zero included, so the series exist from the start.
    var maskedCounts: [(kind: String, count: Int)] {
        let counts = masked.withLock { $0 }
        return PersonalDataKind.allCases.map { ($0.rawValue, counts[$0.rawValue] ?? 0) }
    }

    func publish(_ gauges: CenterGauges) {
        published.withLock { $0 = gauges }
    }

    var gauges: CenterGauges { published.withLock { $0 } }

    var uptimeSeconds: Double { Double(monotonicNanoseconds() &- startedAt) / 1e9 }
}

/// The contact center's state in numbers, as the domain thread last saw it. A plain value.
struct CenterGauges: Sendable {
    struct Queue: Sendable {
        var key: String
        var waitingChats = 0
        var waitingCalls = 0
        var agentsOnDuty = 0
        var pendingMessages = 0
        var deflected = 0
        var rejectedFull = 0
        var closedOut = 0
        var messagesLeft = 0
    }

    var open = true
    var queues: [Queue] = []
    /// Agents by status (`available`, `away`, `offline`).
    var agentsByStatus: [String: Int] = [:]
    var agentsConnected = 0
    var customerSessions = 0
    var openConversations = 0
    /// The wait statistics, recomputed once a second (nil before the first time).
    var stats: PublishedStats?
}
