#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import ChatCore

/// The real engine as an M/M/c phone line: Poisson calls, exponential handle times, one
/// call per agent, nobody hangs up. Its measured mean wait must agree with Erlang C,
/// which proves the line's order and the contact clock (wait = enqueued to assigned).
///
/// Simulated time on the manual clock; a fixed seed, so the run replays exactly.
struct ContactCenterQueueingTests {
    /// An exponential variate with this mean, from the seeded generator.
    private func exponential(mean: Double, _ random: inout SplitMix64) -> Double {
        let u = Double(random.next() >> 11) / Double(1 << 53)  // in [0, 1)
        return -mean * log(1 - u)
    }

    @Test func voiceCallsWaitExactlyAsInAFirstComeFirstServedLineAndAsErlangCPredicts() throws {
        // 8 agents, 6 Erlangs (one call per minute, 6-minute calls): P(wait) 0.357,
        // mean wait 64.26 s.
        let agents = 8
        let handleSeconds = 360.0
        let rate = 6.0 / handleSeconds
        let warmUp = 1_000
        let batches = 20
        let batchSize = 3_000
        let calls = warmUp + batches * batchSize

        let h = try Harness()
        for i in 0..<agents { try h.agent("agent\(i)", chat: 1, voice: 1) }
        // Any seed passes the exact check below; the statistical one is a 99% interval, so
        // about one seed in a hundred misses it (seeds 1 to 5 pass, 20251125 misses).
        var random = SplitMix64(seed: 1)
        // Conversations in progress: (end time in ms, conversation, agent); at most 8.
        var inProgress: [(end: Int64, conversation: ConversationID, agent: AgentID)] = []
        var arrivalOrder: [ContactID: Int] = [:]
        var waits = [Double](repeating: -1, count: calls)
        var arrivals = [Int64](repeating: 0, count: calls)
        var handles = [Int64](repeating: 0, count: calls)

        func record(_ notices: [Notice]) {
            for case .assigned(let conversation, let contact, let agent) in notices {
                let c = h.contact(contact)
                waits[arrivalOrder[contact]!] = Double(c.assignedAt!.milliseconds - c.enqueuedAt!.milliseconds) / 1_000
                let handle = Int64(exponential(mean: handleSeconds, &random) * 1_000)
                handles[arrivalOrder[contact]!] = handle
                inProgress.append((h.center.now.milliseconds + handle, conversation, agent))
            }
        }

        var nextArrival = h.center.now.milliseconds
        var arrived = 0
        while arrived < calls || !inProgress.isEmpty {
            let soonest = inProgress.indices.min { inProgress[$0].end < inProgress[$1].end }
            if arrived < calls, soonest.map({ nextArrival < inProgress[$0].end }) ?? true {
                h.clock.advance(by: .milliseconds(nextArrival - h.center.now.milliseconds))
                let (id, notices) = try h.center.customerArrives(ContactRequest(queue: .orders, channel: .voice))
                arrivalOrder[id] = arrived
                arrivals[arrived] = nextArrival
                arrived += 1
                record(notices)
                nextArrival += Int64(exponential(mean: 1 / rate, &random) * 1_000)
            } else if let i = soonest {
                let ending = inProgress.remove(at: i)
                h.clock.advance(by: .milliseconds(ending.end - h.center.now.milliseconds))
                arrivalOrder[h.center.conversation(ending.conversation)!.contact] = nil
                record(try h.center.endConversation(ending.conversation, by: ending.agent))
            }
        }
        #expect(h.center.invariantViolations().isEmpty)
        #expect(!waits.contains(-1), "every call was answered")

        // Exactly the waits of a first-come-first-served line with 8 servers fed the same
        // arrivals and handle times: each call starts at its arrival or when the
        // earliest agent frees up, whichever is later.
        var freeAt = [Int64](repeating: arrivals[0], count: agents)
        var mismatches = 0
        for i in 0..<calls {
            let agent = freeAt.indices.min { freeAt[$0] < freeAt[$1] }!
            let start = max(arrivals[i], freeAt[agent])
            freeAt[agent] = start + handles[i]
            if Double(start - arrivals[i]) / 1_000 != waits[i] { mismatches += 1 }
        }
        #expect(mismatches == 0)

        // Batch means: consecutive batches of 3,000 calls (about 50 simulated hours,
        // far longer than the line's relaxation time of under an hour) are nearly
        // independent, so the spread of their means gives an honest 99% confidence
        // interval (Student t, 19 degrees of freedom: 2.861). Waits on this line are
        // strongly correlated, so the interval is wide: about ±15% for 60,000 calls.
        func interval(_ values: [Double]) -> (mean: Double, halfWidth: Double) {
            let means = (0..<batches).map { b in
                values[(warmUp + b * batchSize)..<(warmUp + (b + 1) * batchSize)].reduce(0, +) / Double(batchSize)
            }
            let mean = means.reduce(0, +) / Double(batches)
            let variance = means.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(batches - 1)
            return (mean, 2.861 * (variance / Double(batches)).squareRoot())
        }
        let model = try #require(ErlangC.Model(arrivalRate: rate, meanHandleTime: handleSeconds, agents: agents))
        let wait = interval(waits)
        #expect(abs(wait.mean - model.meanWait) <= wait.halfWidth,
                "measured \(wait.mean) ± \(wait.halfWidth) s, Erlang C \(model.meanWait) s")
        // The interval is narrow enough to catch a broken line (a LIFO line, or waits
        // timed from the wrong event, miss by far more).
        #expect(wait.halfWidth <= 0.3 * model.meanWait, "±\(wait.halfWidth) s")
        let waitedAtAll = interval(waits.map { $0 > 0 ? 1 : 0 })
        #expect(abs(waitedAtAll.mean - model.probabilityOfWaiting) <= waitedAtAll.halfWidth,
                "P(wait) measured \(waitedAtAll.mean) ± \(waitedAtAll.halfWidth), Erlang C \(model.probabilityOfWaiting)")
    }
}
