import Testing
import ChatCore

/// The phone comparison in `WaitStatistics`: the same contacts as calls, one per agent
/// on duty, by Erlang C and through the shadow phone queue.
struct PhoneLineTests {
    @Test func threeChatsAtOnceWithOneAgentWouldHaveQueuedByPhone() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 3)
        let contacts = try (0..<3).map { _ in try o.h.arrive() }
        o.advance(seconds: 10)
        for c in contacts { try o.end(c) }
        // By phone: answered at 0, 10 and 20 s. Only the first start is decided at 10 s
        // (the second's end waits on real time).
        o.stats.advance(to: o.h.clock.now)
        o.advance(seconds: 10)
        o.stats.advance(to: o.h.clock.now)
        let phone = o.stats.phone(for: .orders, at: o.h.clock.now)
        #expect(phone.agentsOnDuty == 1)
        #expect(phone.shadow.run.wait.count == 3)
        #expect(phone.shadow.run.wait.meanMs == 10_000)
        #expect(phone.shadow.run.serviceLevel == 1)  // 20 s is within the 20 s threshold
        #expect(phone.shadowPending == 0)
        // Measured: no chat waited.
        #expect(phone.measured.run.wait.meanMs == 0)
        #expect(phone.measured.run.handleTime.meanMs == 10_000)
        // Per contact: no chat waited; by phone they would have waited 0, 10 and 20 s.
        let pairs = o.stats.recentComparisons
        #expect(pairs.map(\.contact) == contacts)
        #expect(pairs.map(\.waitMs) == [0, 0, 0])
        #expect(pairs.map(\.shadowWaitMs) == [0, 10_000, 20_000])
        #expect(pairs.allSatisfy { $0.queue == .orders && $0.channel == .chat && !$0.shadowAbandoned })
        // The center's line is the same here (one queue used, one agent).
        let center = o.stats.phone(for: nil, at: o.h.clock.now)
        #expect(center.shadow.run.wait.count == 3)
        #expect(center.agentsOnDuty == 1)
    }

    @Test func anAbandonedContactLeavesTheShadowLineAtItsRealTime() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 1)
        let a = try o.h.arrive()
        let b = try o.h.arrive()
        o.advance(seconds: 5)
        o.h.run(try o.h.center.customerLeaves(b))  // abandoned after 5 s in line
        var phone = o.stats.phone(for: .orders, at: o.h.clock.now)
        #expect(phone.shadowPending == 1)  // behind a, whose handle time is not known yet
        o.advance(seconds: 5)
        try o.end(a)
        phone = o.stats.phone(for: .orders, at: o.h.clock.now)
        #expect(phone.shadow.run.wait.count == 1)
        #expect(phone.shadow.run.abandoned == 1)
        #expect(phone.shadow.run.serviceLevel == 0.5)
        #expect(phone.shadowPending == 0)
        #expect(phone.measured.run.abandoned.left == 1)
        let pairs = o.stats.recentComparisons
        #expect(pairs.count == 2)
        let lost = try #require(pairs.first { $0.contact == b })
        #expect(lost.waitMs == nil)
        #expect(lost.shadowAbandoned)
        #expect(lost.shadowWaitMs == 5_000)
    }

    @Test func erlangCUsesTheWindowsArrivalRateHandleTimeAndTheAgentsOnDutyNow() throws {
        let o = try ObservedCenter(StatisticsConfiguration(window: .seconds(60), windowBuckets: 6))
        for name in ["a", "b", "c", "d"] { try o.h.agent(name, chat: 2) }
        let contacts = try (0..<6).map { _ in try o.h.arrive() }
        o.advance(seconds: 30)
        for c in contacts { try o.end(c) }
        o.advance(seconds: 20)
        let phone = o.stats.phone(for: .orders, at: o.h.clock.now)
        let span = Double(o.stats.windowSpanMs(at: o.h.clock.now)) / 1_000
        #expect(span == 50)
        #expect(phone.agentsOnDuty == 4)
        #expect(phone.meanHandleMs == 30_000)
        #expect(abs(phone.arrivalsPerHour - 6 / span * 3_600) < 1e-9)
        #expect(abs((phone.offeredLoad ?? 0) - 6 / span * 30) < 1e-9)
        let model = try #require(phone.erlangC)
        #expect(model == ErlangC.Model(arrivalRate: 6 / span, meanHandleTime: 30, agents: 4))
        // 3.6 Erlangs on 4 agents: most calls would wait.
        #expect(model.probabilityOfWaiting > 0.5)
        // Another queue had no traffic: no handle time, no model.
        #expect(o.stats.phone(for: .returns, at: o.h.clock.now).erlangC == nil)
    }

    @Test func anUnstablePhoneLineHasNoErlangCPrediction() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 3)
        let contacts = try (0..<3).map { _ in try o.h.arrive() }
        o.advance(seconds: 60)
        for c in contacts { try o.end(c) }  // 3 arrivals a minute, 60 s each: 3 Erlangs on 1 agent
        let phone = o.stats.phone(for: .orders, at: o.h.clock.now)
        #expect(phone.offeredLoad == 3)
        #expect(phone.erlangC == nil)
    }

    /// Issue 16: a chat answered at once says only that its patience was longer than
    /// its wait. With one abandonment seen (x, after 10 s: an exponential tail of mean
    /// 10 s), b, answered at once at 15 s, gets a patience drawn beyond 0 s and hangs
    /// up in the shadow line long before the phone's one agent is free at 200 s. a2,
    /// answered before anyone had abandoned, has no patience to go on and waits it out.
    @Test func aChatAnsweredAtOnceHangsUpInTheShadowAfterItsDrawnPatience() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 2)
        let a = try o.h.arrive()
        let a2 = try o.h.arrive()
        let x = try o.h.arrive()
        o.advance(seconds: 10)
        o.h.run(try o.h.center.customerLeaves(x))
        o.advance(seconds: 5)
        try o.end(a2)
        let b = try o.h.arrive()
        #expect(o.h.contact(b).agent != nil)
        let chat = o.stats.patience(for: LineID(queue: .orders, channel: .chat))
        #expect(chat.abandoned == 1)
        #expect(chat.answered == 3)
        #expect(chat.steps.map(\.ms) == [10_000])
        o.advance(seconds: 185)
        try o.end(a)
        try o.end(b)
        o.stats.advance(to: o.h.clock.now)
        let phone = o.stats.phone(for: .orders, at: o.h.clock.now)
        #expect(phone.shadowPending == 0)
        #expect(phone.shadow.run.abandoned == 2)  // x for real, b by its drawn patience
        #expect(phone.shadow.run.wait.count == 2)  // a at once, a2 after 200 s
        #expect(phone.shadow.run.wait.meanMs == 100_000)
    }
}
