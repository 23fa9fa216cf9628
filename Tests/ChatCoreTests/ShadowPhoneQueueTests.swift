import Testing
import ChatCore

/// The shadow phone queue on hand-made arrival sequences (waits computed by hand in the
/// comments), and against a straightforward full-knowledge simulation on random ones.
struct ShadowPhoneQueueTests {
    typealias Shadow = ShadowPhoneQueue<Int>

    private func at(_ seconds: Int64) -> Instant { Instant(milliseconds: seconds * 1_000) }

    /// "id wait" (seconds) of what settled since the last call, "id wait left" if abandoned.
    private func take(_ shadow: inout Shadow) -> [String] {
        shadow.takeSettled().map { "\($0.id) \($0.wait.components.seconds)" + ($0.abandoned ? " left" : "") }
    }

    @Test func oneAgentServesArrivalsInOrderWithTheirRealHandleTimes() {
        // A at 0 (60 s), B at 10 (30 s), C at 20 (5 s), one agent:
        // A starts at 0, B at 60 (waits 50), C at 90 (waits 70).
        var shadow = Shadow(startingAt: at(0))
        shadow.setAgentsOnDuty(1, at: at(0))
        shadow.arrive(1, at: at(0))
        #expect(take(&shadow) == ["1 0"])
        shadow.arrive(2, at: at(10))
        shadow.arrive(3, at: at(20))
        shadow.advance(to: at(25))
        shadow.handled(1, handleTime: .seconds(60))
        // B's start (60) is known but the real clock has not reached it: an agent could
        // still come on duty before then.
        #expect(take(&shadow).isEmpty)
        shadow.advance(to: at(60))
        #expect(take(&shadow) == ["2 50"])
        shadow.handled(2, handleTime: .seconds(30))
        shadow.advance(to: at(200))
        shadow.handled(3, handleTime: .seconds(5))
        #expect(take(&shadow) == ["3 70"])
        #expect(shadow.totals.answered == 3)
        #expect(shadow.totals.meanWaitSeconds == 40)
        #expect(shadow.totals.waited == 2)
        #expect(shadow.totals.longestWait == .seconds(70))
        #expect(shadow.unsettledCount == 0)
    }

    @Test func aDrawnPatienceEndsTheShadowWaitOnceRealTimeHasPassedIt() {
        // One agent; A at 0 for 100 s. B (at 1) and C (at 2) were answered for real (as
        // chats) and would have hung up on the phone at 30 and 300 s: B leaves the
        // shadow line at 30 (waited 29), C is answered at 100 (waited 98).
        var shadow = Shadow(startingAt: at(0))
        shadow.setAgentsOnDuty(1, at: at(0))
        shadow.arrive(1, at: at(0))
        shadow.handled(1, handleTime: .seconds(100))
        shadow.arrive(2, at: at(1))
        shadow.arrive(3, at: at(2))
        shadow.patienceEnds(2, at: at(30))
        shadow.patienceEnds(3, at: at(300))
        #expect(take(&shadow) == ["1 0"])
        // Not before real time reaches 30 s: an agent could still come on duty.
        shadow.advance(to: at(29))
        #expect(take(&shadow).isEmpty)
        shadow.advance(to: at(30))
        #expect(take(&shadow) == ["2 29 left"])
        shadow.handled(3, handleTime: .seconds(10))
        shadow.advance(to: at(100))
        #expect(take(&shadow) == ["3 98"])
        #expect(shadow.totals.abandoned == 1)
    }

    @Test func aDrawnPatienceDoesNotOverrideARealAbandonment() {
        var shadow = Shadow(startingAt: at(0))
        shadow.setAgentsOnDuty(1, at: at(0))
        shadow.arrive(1, at: at(0))
        shadow.handled(1, handleTime: .seconds(100))
        shadow.arrive(2, at: at(1))
        shadow.abandoned(2, at: at(20))
        shadow.patienceEnds(2, at: at(50))
        shadow.advance(to: at(60))
        #expect(take(&shadow) == ["1 0", "2 19 left"])
    }

    @Test func aWaitStaysUnsettledUntilTheHandleTimeItDependsOnIsKnown() {
        // One agent; A at 0 is still with its agent for real at 500 s, so B (at 5) cannot
        // know when the phone would have answered it.
        var shadow = Shadow(startingAt: at(0))
        shadow.setAgentsOnDuty(1, at: at(0))
        shadow.arrive(1, at: at(0))
        shadow.arrive(2, at: at(5))
        shadow.advance(to: at(500))
        #expect(take(&shadow) == ["1 0"])
        #expect(shadow.unknownHandleTimes == 1)
        #expect(shadow.unsettledCount == 1)
        shadow.handled(1, handleTime: .seconds(100))
        #expect(take(&shadow) == ["2 95"])
    }

    @Test func aSecondAgentAnswersWhileTheFirstIsStillUnknown() {
        // Two agents: A's handle time is unknown, but B takes the free agent at once.
        var shadow = Shadow(startingAt: at(0))
        shadow.setAgentsOnDuty(2, at: at(0))
        shadow.arrive(1, at: at(0))
        shadow.arrive(2, at: at(3))
        #expect(take(&shadow) == ["1 0", "2 0"])
        #expect(shadow.busyAgents == 2)
    }

    @Test func anAbandonedContactLeavesTheShadowLineAtItsRealTime() {
        // One agent busy with A (0..100). B arrives at 10 and hangs up at 50: it waited
        // 40 and never takes the agent, so C (at 20) is answered at 100 and waits 80.
        var shadow = Shadow(startingAt: at(0))
        shadow.setAgentsOnDuty(1, at: at(0))
        shadow.arrive(1, at: at(0))
        shadow.arrive(2, at: at(10))
        shadow.arrive(3, at: at(20))
        shadow.handled(1, handleTime: .seconds(100))
        shadow.abandoned(2, at: at(50))
        #expect(take(&shadow) == ["1 0", "2 40 left"])
        shadow.advance(to: at(100))
        #expect(take(&shadow) == ["3 80"])
        #expect(shadow.totals.abandoned == 1)
        #expect(shadow.totals.answered == 2)
    }

    @Test func aContactThePhoneWouldHaveAnsweredBeforeItGaveUpTakesTheSubstituteHandleTime() {
        // Two agents. A at 0 (100 s). B at 10 waited for real and left at 50, but the
        // shadow's second agent answers it at once; it holds that agent 30 s (the
        // substitute), so C at 20 waits until 40.
        var shadow = Shadow(startingAt: at(0), abandonedHandleTime: .seconds(30))
        shadow.setAgentsOnDuty(2, at: at(0))
        shadow.arrive(1, at: at(0))
        shadow.arrive(2, at: at(10))
        shadow.arrive(3, at: at(20))
        shadow.handled(1, handleTime: .seconds(100))
        #expect(take(&shadow) == ["1 0", "2 0"])
        shadow.abandoned(2, at: at(50))
        #expect(take(&shadow) == ["3 20"])
    }

    @Test func withoutASubstituteTheMeanHandleTimeSoFarIsUsed() {
        var shadow = Shadow(startingAt: at(0))
        shadow.setAgentsOnDuty(1, at: at(0))
        shadow.arrive(1, at: at(0))
        shadow.arrive(9, at: at(1))
        shadow.handled(9, handleTime: .seconds(40))  // known before it is served
        shadow.abandoned(1, at: at(2))  // was answered at 0: holds the agent 40 s (the mean)
        shadow.advance(to: at(41))
        #expect(take(&shadow) == ["1 0", "9 39"])
    }

    @Test func agentsComingOnDutyAnswerWhoWaitsAndLeavingOnesFinishFirst() {
        // Nobody on duty until 30: A (at 5) waits 25. Then two agents hold A (until 130)
        // and B (at 40, until 140); at 50 one leaves duty. C at 60 needs busy < 1, so it
        // is answered only when both have finished: at 140, a wait of 80.
        var shadow = Shadow(startingAt: at(0))
        shadow.arrive(1, at: at(5))
        shadow.handled(1, handleTime: .seconds(100))
        shadow.setAgentsOnDuty(2, at: at(30))
        #expect(take(&shadow) == ["1 25"])
        shadow.arrive(2, at: at(40))
        shadow.handled(2, handleTime: .seconds(100))
        shadow.setAgentsOnDuty(1, at: at(50))
        shadow.arrive(3, at: at(60))
        shadow.advance(to: at(139))
        #expect(take(&shadow) == ["2 0"])
        shadow.advance(to: at(140))
        #expect(take(&shadow) == ["3 80"])
    }

    @Test func aFullShadowLineTurnsArrivalsAwayAndUntakenResultsAreBounded() {
        var shadow = Shadow(startingAt: at(0), lineLimit: 2, settledLimit: 2)
        for id in 1...4 { shadow.arrive(id, at: at(Int64(id))) }  // nobody on duty
        #expect(shadow.totals.blocked == 2)
        #expect(shadow.unsettledCount == 2)
        shadow.setAgentsOnDuty(5, at: at(10))
        for id in 10...12 { shadow.arrive(id, at: at(11)) }
        #expect(shadow.totals.answered == 5)
        #expect(shadow.totals.dropped == 3)
        #expect(shadow.takeSettled().map(\.id) == [11, 12])
    }

    @Test func serviceLevelCountsAbandonedContactsAsMissed() {
        var shadow = Shadow(startingAt: at(0), serviceLevelThreshold: .seconds(20))
        shadow.setAgentsOnDuty(1, at: at(0))
        shadow.arrive(1, at: at(0))
        shadow.arrive(2, at: at(0))
        shadow.arrive(3, at: at(0))
        shadow.handled(1, handleTime: .seconds(10))
        shadow.handled(2, handleTime: .seconds(10))
        shadow.abandoned(3, at: at(5))
        shadow.advance(to: at(60))
        // 1 waits 0, 2 waits 10 (both within 20 s), 3 left at 5 s before its turn at 20.
        #expect(shadow.totals.answered == 2)
        #expect(shadow.totals.abandoned == 1)
        #expect(shadow.totals.serviceLevel == 2.0 / 3)
    }

    @Test func reportsOfUnknownContactsAndDuplicatesChangeNothing() {
        var shadow = Shadow(startingAt: at(0))
        shadow.setAgentsOnDuty(1, at: at(0))
        shadow.handled(42, handleTime: .seconds(5))
        shadow.abandoned(43, at: at(1))
        shadow.arrive(1, at: at(2))
        shadow.arrive(1, at: at(3))
        #expect(shadow.totals.answered == 1)
        #expect(shadow.unsettledCount == 0)
    }

    // MARK: - Against a full-knowledge simulation

    private struct Trace {
        var arrival: Int64
        var handle: Int64
        var abandon: Int64?
        /// When the real center reports the handle time (any time after arrival).
        var reportedAt: Int64
    }

    /// FCFS with c(t) servers, every handle time known up front: for each contact in
    /// order, the first moment not before its arrival nor the previous start at which
    /// fewer are busy than on duty.
    private func reference(_ contacts: [Trace], duty: [(at: Int64, count: Int)], substitute: Int64) -> [(Int64, Bool)] {
        var ends: [Int64] = []
        var lastStart = Int64.min
        var result: [(Int64, Bool)] = []
        for c in contacts {
            var t = max(c.arrival, lastStart)
            while true {
                let onDuty = duty.last { $0.at <= t }?.count ?? 0
                let busy = ends.filter { $0 > t }.count
                if busy < onDuty {
                    if let a = c.abandon, a < t {
                        result.append((a - c.arrival, true))
                    } else {
                        ends.append(t + (c.abandon == nil ? c.handle : substitute))
                        lastStart = t
                        result.append((t - c.arrival, false))
                    }
                    break
                }
                let next = (ends.filter { $0 > t } + duty.map(\.at).filter { $0 > t }).min()
                if let a = c.abandon, next.map({ a < $0 }) ?? true {
                    result.append((a - c.arrival, true))
                    break
                }
                t = next!
            }
        }
        return result
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func settledWaitsEqualAFullKnowledgeSimulation(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let substitute: Int64 = 700
        var contacts: [Trace] = []
        var clock: Int64 = 0
        for _ in 0..<300 {
            clock += Int64(random.next(below: 400))
            let abandons = random.next(below: 5) == 0
            contacts.append(Trace(arrival: clock, handle: Int64(random.next(below: 2_000)),
                                  abandon: abandons ? clock + 1 + Int64(random.next(below: 1_500)) : nil,
                                  reportedAt: clock + Int64(random.next(below: 3_000))))
        }
        var duty: [(at: Int64, count: Int)] = [(0, 1 + random.next(below: 3))]
        for _ in 0..<20 {
            duty.append((duty.last!.at + 1 + Int64(random.next(below: 8_000)), random.next(below: 5)))
        }
        duty.append((duty.last!.at + 1, 3))
        let expected = reference(contacts, duty: duty, substitute: substitute)

        // Every report at its real time, in time order (ties: arrivals first).
        enum Report { case arrive(Int), handled(Int), abandoned(Int), duty(Int) }
        var reports: [(time: Int64, rank: Int, report: Report)] = []
        for (i, c) in contacts.enumerated() {
            reports.append((c.arrival, 0, .arrive(i)))
            if let a = c.abandon { reports.append((a, 1, .abandoned(i))) } else { reports.append((c.reportedAt, 1, .handled(i))) }
        }
        for (i, d) in duty.enumerated() { reports.append((d.at, 1, .duty(i))) }
        reports.sort { ($0.time, $0.rank) < ($1.time, $1.rank) }

        var shadow = Shadow(startingAt: Instant(milliseconds: 0), abandonedHandleTime: .milliseconds(substitute))
        var seen = Set<Int>()
        func check() {
            for s in shadow.takeSettled() {
                #expect(seen.insert(s.id).inserted, "settled twice: \(s.id)")
                #expect(s.wait.milliseconds == expected[s.id].0 && s.abandoned == expected[s.id].1,
                        "contact \(s.id): \(s.wait) \(s.abandoned), expected \(expected[s.id])")
            }
        }
        for r in reports {
            let time = Instant(milliseconds: r.time)
            switch r.report {
            case .arrive(let i): shadow.arrive(i, at: time)
            case .handled(let i):
                shadow.advance(to: time)
                shadow.handled(i, handleTime: .milliseconds(contacts[i].handle))
            case .abandoned(let i): shadow.abandoned(i, at: time)
            case .duty(let i): shadow.setAgentsOnDuty(duty[i].count, at: time)
            }
            check()
        }
        shadow.advance(to: Instant(milliseconds: Int64.max / 4))
        check()
        #expect(seen.count == contacts.count)
        #expect(shadow.totals.dropped == 0)
        #expect(shadow.totals.answered + shadow.totals.abandoned == contacts.count)
    }
}

extension Duration {
    /// Whole milliseconds (truncated).
    fileprivate var milliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
}
