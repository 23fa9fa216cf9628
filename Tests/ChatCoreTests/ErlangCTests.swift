import Testing
import ChatCore

/// Erlang C against published table values, and at its edges.
///
/// The published figures: 8 agents with 6 Erlangs (the example; 6-minute
/// calls), and the worked example of callcentrehelper.com's "Erlang C formula made
/// simple" (100 calls per half hour, 3-minute calls: 10 Erlangs): 11 agents wait
/// 68.21%, answer 39.0% within 20 s, average speed of answer 122.8 s; 14 agents wait
/// 17.4%, answer 88.8% within 20 s, 7.8 s.
struct ErlangCTests {
    /// |a − b| ≤ tolerance.
    private func near(_ a: Double?, _ b: Double, _ tolerance: Double) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test func eightAgentsAtSixErlangsWaitAThirdOfTheTimeForAboutAMinute() throws {
        let model = try #require(ErlangC.Model(arrivalRate: 6.0 / 360, meanHandleTime: 360, agents: 8))
        #expect(near(model.load, 6, 1e-12))
        #expect(near(model.probabilityOfWaiting, 0.3570, 5e-4))
        #expect(near(model.meanWait, 64.26, 0.01))
        #expect(near(model.occupancy, 0.75, 1e-12))
        #expect(near(ErlangC.meanWait(arrivalRate: 6.0 / 360, meanHandleTime: 360, agents: 8), 64.26, 0.01))
    }

    @Test(arguments: [
        (11, 0.6821, 0.390, 122.8),
        (12, 0.4494, 0.640, 40.4),
        (13, 0.2853, 0.796, 17.1),
        (14, 0.1741, 0.888, 7.8),
    ])
    func tenErlangsMatchThePublishedTable(agents: Int, waiting: Double, level: Double, speed: Double) {
        let rate = 100.0 / 1_800
        #expect(near(ErlangC.probabilityOfWaiting(agents: agents, load: 10), waiting, 5e-4))
        #expect(near(ErlangC.serviceLevel(arrivalRate: rate, meanHandleTime: 180, agents: agents, within: 20), level, 5e-3))
        #expect(near(ErlangC.meanWait(arrivalRate: rate, meanHandleTime: 180, agents: agents), speed, 0.05))
    }

    @Test func smallCasesHaveClosedForms() {
        // M/M/1: P(wait) = ρ, mean wait = ρ/(1−ρ) · handle time.
        #expect(near(ErlangC.probabilityOfWaiting(agents: 1, load: 0.5), 0.5, 1e-12))
        #expect(near(ErlangC.meanWait(arrivalRate: 0.5 / 60, meanHandleTime: 60, agents: 1), 60, 1e-9))
        // M/M/2 at A = 1: P(wait) = A²/(2 + A) ... = 1/3.
        #expect(near(ErlangC.probabilityOfWaiting(agents: 2, load: 1), 1.0 / 3, 1e-12))
        // Erlang B for one server: A / (1 + A).
        #expect(near(ErlangC.blockingProbability(agents: 1, load: 3), 0.75, 1e-12))
        #expect(ErlangC.blockingProbability(agents: 0, load: 3) == 1)
    }

    @Test func anUnstableOrMeaninglessLineHasNoPrediction() {
        #expect(ErlangC.probabilityOfWaiting(agents: 8, load: 8) == nil)
        #expect(ErlangC.probabilityOfWaiting(agents: 8, load: 9.5) == nil)
        #expect(ErlangC.probabilityOfWaiting(agents: 0, load: 0) == nil)
        #expect(ErlangC.probabilityOfWaiting(agents: -1, load: 0.5) == nil)
        #expect(ErlangC.probabilityOfWaiting(agents: 3, load: -1) == nil)
        #expect(ErlangC.probabilityOfWaiting(agents: 3, load: .nan) == nil)
        #expect(ErlangC.meanWait(arrivalRate: .infinity, meanHandleTime: 60, agents: 3) == nil)
        #expect(ErlangC.meanWait(arrivalRate: 1, meanHandleTime: -60, agents: 3) == nil)
        #expect(ErlangC.Model(arrivalRate: 1, meanHandleTime: 4, agents: 4) == nil)
    }

    @Test func noTrafficMeansNoWait() throws {
        let model = try #require(ErlangC.Model(arrivalRate: 0, meanHandleTime: 300, agents: 2))
        #expect(model.probabilityOfWaiting == 0)
        #expect(model.meanWait == 0)
        #expect(model.serviceLevel(within: 0) == 1)
        let instant = try #require(ErlangC.Model(arrivalRate: 5, meanHandleTime: 0, agents: 1))
        #expect(instant.meanWait == 0)
        #expect(instant.serviceLevel(within: 0) == 1)
    }

    @Test func thousandsOfAgentsStayFiniteAndBelowOne() throws {
        // The textbook sum would form 950^1000 / 1000!: far past Double's range.
        let waiting = try #require(ErlangC.probabilityOfWaiting(agents: 1_000, load: 950))
        #expect(waiting.isFinite && waiting > 0 && waiting < 1)
        // A heavier load on the same agents waits more often.
        #expect(waiting > ErlangC.probabilityOfWaiting(agents: 1_000, load: 900)!)
        #expect(waiting < ErlangC.probabilityOfWaiting(agents: 1_000, load: 990)!)
    }

    @Test func theWaitDistributionIsAnAtomAtZeroAndAnExponentialTail() throws {
        let model = try #require(ErlangC.Model(arrivalRate: 6.0 / 360, meanHandleTime: 360, agents: 8))
        #expect(near(model.probabilityOfWaitingLonger(than: 0), model.probabilityOfWaiting, 1e-15))
        // The tail's mean is handle time / (c − A) = 180 s: e^-1 of those waiting wait longer.
        #expect(near(model.probabilityOfWaitingLonger(than: 180), model.probabilityOfWaiting * 0.36787944, 1e-6))
        #expect(model.waitQuantile(0.5) == 0)  // 64% are answered at once
        let p90 = model.waitQuantile(0.9)
        #expect(near(model.serviceLevel(within: p90), 0.9, 1e-9))
        #expect(model.waitQuantile(1) == .infinity)
    }
}
