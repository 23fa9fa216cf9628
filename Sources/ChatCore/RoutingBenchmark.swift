/// A micro-benchmark of routing through the public API, for a command (or a
/// temporary test) to call in a release build; nothing asserts its speed.
///
/// Set-up: `agents` agents (chat capacity 3, each serving two of the four default
/// queues), all available and full, and `waiting` customers in line. Each step then
/// ends a random conversation — the freed slot is filled at once by the oldest
/// waiting contact the agent serves (one routing decision) — and a new customer
/// arrives (finding no agent, it queues), so the line stays at `waiting`. Runs on
/// the calling thread; the engine is its own.
public enum RoutingBenchmark {
    /// What one run measured. A plain value.
    public struct Result: Sendable, CustomStringConvertible {
        public var agents: Int
        public var waiting: Int
        /// Assignments made during the timed part.
        public var decisions: Int
        public var seconds: Double
        public var decisionsPerSecond: Double { Double(decisions) / seconds }

        public var description: String {
            let rate = Int(decisionsPerSecond.rounded())
            return "routing: \(decisions) decisions in \(seconds) s = \(rate) decisions/s "
                + "(\(agents) agents, \(waiting) waiting)"
        }
    }

    public static func run(agents agentCount: Int = 1_000, waiting: Int = 10_000, decisions: Int = 1_000_000,
                           seed: UInt64 = 0x5EED) -> Result {
        var configuration = CenterConfiguration()
        for i in configuration.queues.indices { configuration.queues[i].maxWaiting = waiting + agentCount * 3 }
        configuration.customerGracePeriod = .seconds(60)
        let clock = ManualClock()
        // The default configuration is valid, and so are the agent profiles below.
        let center = try! ContactCenter(configuration: configuration, clock: clock)
        var random = SplitMix64(seed: seed)
        let queueCount = configuration.queues.count
        // Conversations held now, and their agents (same index).
        var held: [ConversationID] = []
        var holders: [AgentID] = []
        held.reserveCapacity(agentCount * 3)
        holders.reserveCapacity(agentCount * 3)

        func collect(_ notices: [Notice]) {
            for case .assigned(let conversation, _, let agent) in notices {
                held.append(conversation)
                holders.append(agent)
            }
        }
        func arrive() {
            let queue = QueueID(Int32(random.next(below: queueCount)))
            collect(try! center.customerArrives(ContactRequest(queue: queue)).notices)  // Room was sized above.
        }

        for i in 0..<agentCount {
            let first = random.next(below: queueCount)
            let second = (first + 1 + random.next(below: queueCount - 1)) % queueCount
            let id = try! center.addAgent(AgentProfile(  // Handles are unique, skills exist.
                handle: "agent\(i)", displayName: "Agent \(i)",
                skills: [QueueID(Int32(first)), QueueID(Int32(second))]))
            collect(try! center.setStatus(id, .available))  // The id was just made.
        }
        // Every agent serves two of four queues at random, so every queue is served and
        // the slots fill before the line grows.
        for _ in 0..<(agentCount * 3 + waiting) { arrive() }

        var made = 0
        let start = ContinuousClock.now
        while made < decisions {
            clock.advance(by: .milliseconds(1))
            let pick = random.next(below: held.count)
            let conversation = held[pick]
            let agent = holders[pick]
            held.swapAt(pick, held.count - 1)
            holders.swapAt(pick, holders.count - 1)
            held.removeLast()
            holders.removeLast()
            let before = held.count
            collect(try! center.endConversation(conversation, by: agent))  // Held by that agent.
            made += held.count - before
            arrive()
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(agents: agentCount, waiting: center.waitingTotal, decisions: made, seconds: seconds)
    }
}

/// A small, fast, seedable generator (SplitMix64), so that benchmarks and
/// property tests replay exactly. A plain value.
package struct SplitMix64: RandomNumberGenerator, Codable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound > 0).
    package mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
