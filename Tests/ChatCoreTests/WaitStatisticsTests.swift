import Testing
import ChatCore

/// The wait statistics, fed by a real `ContactCenter` on a manual clock, checked against
/// values computed by hand (README "Wait-time definitions").
struct WaitStatisticsTests {
    /// Percentiles come from a two-digit HDR histogram: exact below 256 ms, within 1% above.
    func near(_ value: Int64?, _ expected: Int64) -> Bool {
        guard let value else { return false }
        return abs(value - expected) <= max(1, expected / 100)
    }

    @Test func waitsMeanPercentilesAndServiceLevelOfThreeContactsInARow() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 1)
        let a = try o.h.arrive()  // assigned at once: wait 0
        let b = try o.h.arrive()
        let c = try o.h.arrive()
        o.advance(seconds: 10)
        try o.end(a)  // b: wait 10 s
        o.advance(seconds: 15)
        try o.end(b)  // c: wait 25 s, past the 20 s threshold
        #expect(o.h.contact(c).assignedAt != nil)
        let run = o.figures().run
        #expect(run.arrivals == 3)
        #expect(run.wait.count == 3)
        #expect(run.wait.meanMs == 35_000.0 / 3)
        #expect(run.wait.p50Ms != nil && near(run.wait.p50Ms, 10_000))
        #expect(near(run.wait.p90Ms, 25_000))
        #expect(near(run.wait.p99Ms, 25_000))
        #expect(run.serviceLevel == 2.0 / 3)
        #expect(run.abandoned.total == 0)
        #expect(run.abandonmentRate == 0)
        // Handle times of the two ended: 10 s and 15 s.
        #expect(run.handleTime.count == 2)
        #expect(run.handleTime.meanMs == 12_500)
        // Nothing in the voice line or another queue.
        #expect(o.figures(.orders, .voice).run.arrivals == 0)
        #expect(o.figures(.returns).run.wait.count == 0)
        #expect(o.figures(.returns).run.serviceLevel == nil)
    }

    @Test func shortWaitsGiveExactPercentiles() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 1)
        let first = try o.h.arrive()
        var waiting: [ContactID] = []
        for _ in 0..<4 { waiting.append(try o.h.arrive()) }
        // Each ends after 10, 20, 30, 40 ms: the next waited 10, 30, 60, 100 ms.
        var current = first
        for (step, next) in zip([10, 20, 30, 40] as [Int64], waiting) {
            o.advance(ms: step)
            try o.end(current)
            current = next
        }
        let wait = o.figures().run.wait
        #expect(wait.count == 5)
        #expect(wait.meanMs == 40)  // (0 + 10 + 30 + 60 + 100) / 5
        #expect(wait.p50Ms == 30)
        #expect(wait.p90Ms == 100)
        #expect(wait.p99Ms == 100)
    }

    @Test func abandonmentsAreCountedByReason() throws {
        let o = try ObservedCenter { $0.customerGracePeriod = .seconds(30) }
        let kim = try o.h.agent("kim", chat: 1)
        let served = try o.h.arrive()
        let leaves = try o.h.arrive()
        let drops = try o.h.arrive()
        let stays = try o.h.arrive()
        o.advance(seconds: 5)
        o.h.run(try o.h.center.customerLeaves(leaves))
        o.h.run(try o.h.center.customerDisconnected(drops))
        o.advance(seconds: 30)  // grace over: timed out
        o.h.run(try o.h.center.setStatus(kim, .offline))  // nobody on duty: closed out
        #expect(o.h.contact(stays).abandonReason == .closed)
        let run = o.figures().run
        #expect(run.arrivals == 4)
        #expect(run.abandoned == AbandonCounts(left: 1, timedOut: 1, closed: 1))
        #expect(run.abandonmentRate == 0.75)
        #expect(run.serviceLevel == 0.25)  // one assigned in time out of four settled
        // `served` went back to the line when kim left, then was closed out with it: it
        // was answered, so it is no abandonment, and it arrived once.
        #expect(o.h.contact(served).outcome == .served)
        #expect(run.wait.count == 1)
    }

    @Test func contactsClosedOutOnArrivalNeverJoinedALine() throws {
        let o = try ObservedCenter()
        _ = try o.h.arrive()  // nobody on duty
        let run = o.figures().run
        #expect(run.arrivals == 0)
        #expect(run.abandoned.total == 0)
        #expect(o.stats.trackedCount == 0)
    }

    @Test func speedOfAnswerRunsToTheFirstAgentMessageForChatAndToPickUpForACall() throws {
        let o = try ObservedCenter()
        let kim = try o.h.agent("kim", chat: 2)
        o.h.run(try o.h.center.setStatus(kim, .away))
        let chat = try o.h.arrive()
        let call = try o.h.arrive(.orders, .voice)
        o.advance(seconds: 3)
        o.h.run(try o.h.center.setStatus(kim, .available))  // takes the oldest: the chat
        o.advance(seconds: 4)
        let conversation = try #require(o.h.conversation(of: chat))
        o.h.run(try o.h.center.agentReplied(in: conversation, by: kim))
        #expect(o.h.log.contains(.answered(conversation, chat)))
        o.h.run(try o.h.center.agentReplied(in: conversation, by: kim))  // not a second answer
        let chatFigures = o.figures().run
        #expect(chatFigures.wait.count == 1)
        #expect(near(chatFigures.wait.p50Ms, 3_000))
        #expect(chatFigures.speedOfAnswer.count == 1)
        #expect(chatFigures.speedOfAnswer.meanMs == 7_000)
        o.advance(seconds: 2)
        try o.end(chat)  // kim is free for the call, which waited 9 s
        let callFigures = o.figures(.orders, .voice).run
        #expect(callFigures.arrivals == 1)
        #expect(callFigures.wait.meanMs == 9_000)
        #expect(callFigures.speedOfAnswer.meanMs == 9_000)
    }

    @Test func aTransferIsNeitherANewArrivalNorASecondWait() throws {
        let o = try ObservedCenter()
        let kim = try o.h.agent("kim", [.orders, .returns], chat: 1)
        let lee = try o.h.agent("lee", [.returns], chat: 1, status: .away)
        let a = try o.h.arrive()
        o.advance(seconds: 5)
        let conversation = try #require(o.h.conversation(of: a))
        o.h.run(try o.h.center.setStatus(lee, .available))
        o.h.run(try o.h.center.transfer(conversation, to: .queue(.returns), by: kim))
        #expect(o.h.holder(of: a) == lee)
        o.advance(seconds: 7)
        try o.end(a)
        let orders = o.figures().run
        #expect(orders.arrivals == 1)
        #expect(orders.wait.count == 1)
        #expect(orders.wait.meanMs == 0)
        #expect(orders.handleTime.meanMs == 12_000)  // first assigned to ended, through the transfer
        #expect(o.figures(.returns).run.arrivals == 0)
        #expect(o.stats.trackedCount == 0)
    }

    @Test func inOfferModeTheWaitEndsAtAcceptanceAndADeclineKeepsOneArrival() throws {
        let o = try ObservedCenter { c in
            c.routing = .offer(timeout: .seconds(15))
            c.reofferDelay = .seconds(60)
        }
        let kim = try o.h.agent("kim", chat: 1)
        let lee = try o.h.agent("lee", chat: 1, status: .away)
        let a = try o.h.arrive()
        o.advance(seconds: 2)
        let first = try #require(o.h.offer(for: a))
        o.h.run(try o.h.center.declineOffer(first.id, by: kim))
        o.h.run(try o.h.center.setStatus(lee, .available))
        o.advance(seconds: 3)
        let second = try #require(o.h.offer(for: a))
        #expect(second.agent == lee)
        o.h.run(try o.h.center.acceptOffer(second.id, by: lee))
        let run = o.figures().run
        #expect(run.arrivals == 1)
        #expect(run.wait.meanMs == 5_000)
        #expect(o.h.contact(a).offeredAt == Instant(milliseconds: 1_000))
    }

    @Test func theWindowForgetsWhatIsOlderThanItsLength() throws {
        let o = try ObservedCenter(StatisticsConfiguration(window: .seconds(60), windowBuckets: 6))
        try o.h.agent("kim", chat: 1)
        let a = try o.h.arrive()
        _ = try o.h.arrive()
        o.advance(seconds: 30)
        try o.end(a)  // second waited 30 s
        var f = o.figures()
        #expect(f.window.wait.count == 2)
        #expect(f.window.arrivals == 2)
        #expect(f.window.serviceLevel == 0.5)
        o.advance(seconds: 50)  // the arrivals' bucket (t = 1 s) has left; the 30 s wait's has not
        f = o.figures()
        #expect(f.window.arrivals == 0)
        #expect(f.window.wait.count == 1)
        #expect(f.window.wait.meanMs == 30_000)
        o.advance(seconds: 60)
        f = o.figures()
        #expect(f.window.wait.count == 0)
        #expect(f.window.serviceLevel == nil)
        #expect(f.run.wait.count == 2)
        #expect(f.run.arrivals == 2)
    }

    @Test func estimateErrorsCompareEachEstimateWithTheWaitThatFollowed() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 1)
        let a = try o.h.arrive()
        let b = try o.h.arrive()
        o.stats.recordEstimate(b, ms: 30_000, at: o.h.clock.now, atEnqueue: true)
        o.advance(seconds: 4)
        o.stats.recordEstimate(b, ms: 10_000, at: o.h.clock.now)
        o.advance(seconds: 6)
        try o.end(a)  // b waited 10 s: errors |30 - 10| = 20 s and |10 - 6| = 4 s
        o.stats.recordEstimate(b, ms: 5_000, at: o.h.clock.now)  // after assignment: ignored
        let run = o.figures().run
        #expect(run.estimateErrorAtEnqueue.count == 1)
        #expect(run.estimateErrorAtEnqueue.meanMs == 20_000)
        #expect(run.estimateError.count == 2)
        #expect(run.estimateError.meanMs == 12_000)
        #expect(near(run.estimateError.p50Ms, 4_000))
        #expect(near(run.estimateError.p90Ms, 20_000))
    }

    @Test func onlyTheEstimateInTheQueuedAnswerCountsAtEnqueueAgainstTheWholeWait() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 1)
        let a = try o.h.arrive()
        let b = try o.h.arrive()
        let c = try o.h.arrive()
        // b had no estimate when it queued: its first one, a place update 4 s later, is not "at enqueue".
        o.advance(seconds: 4)
        o.stats.recordEstimate(b, ms: 9_000, at: o.h.clock.now)
        // c's estimate at enqueue came with `queued`; a later one (a resume's repeat) does not replace it.
        o.stats.recordEstimate(c, ms: 50_000, at: o.h.clock.now, atEnqueue: true)
        o.stats.recordEstimate(c, ms: 1_000, at: o.h.clock.now, atEnqueue: true)
        o.advance(seconds: 6)
        try o.end(a)  // b assigned after 10 s
        o.advance(seconds: 10)
        try o.end(b)  // c assigned after 20 s of wait: |50 - 20| = 30 s
        let run = o.figures().run
        #expect(run.estimateErrorAtEnqueue.count == 1)
        #expect(run.estimateErrorAtEnqueue.meanMs == 30_000)
    }

    @Test func theEstimateIsPlaceTimesTheMeasuredGapBetweenDepartures() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 1)
        let line = LineID(queue: .orders, channel: .chat)
        // Nothing known yet: no estimate.
        #expect(o.stats.estimatedWait(place: 1, in: line, slots: 1, at: o.h.clock.now) == nil)
        var current = try o.h.arrive()
        var queue: [ContactID] = []
        for _ in 0..<4 { queue.append(try o.h.arrive()) }
        // The line stays busy; one departure every 8 s.
        for next in queue.prefix(3) {
            o.advance(seconds: 8)
            try o.end(current)
            current = next
        }
        // 3 departures in 24 s of busy line (the first assignment happened on an idle
        // line and took no busy time): gap 8 s.
        #expect(o.stats.estimatedWait(place: 1, in: line, slots: 1, at: o.h.clock.now) == 8_000)
        #expect(o.stats.estimatedWait(place: 3, in: line, slots: 1, at: o.h.clock.now) == 24_000)
        // A line stuck without departures sees its estimate grow: 40 s busy / 3.
        o.advance(seconds: 16)
        #expect(o.stats.estimatedWait(place: 1, in: line, slots: 1, at: o.h.clock.now) == 13_000)
    }

    /// Issue 16: people ahead who will give up first do not cost a departure. Here all
    /// twelve who waited gave up after 10 s, so nobody ahead is expected to last a
    /// 60-s gap: every place expects one gap. Without abandonments: p × gap.
    @Test func theEstimateDiscountsThoseAheadWhoWillGiveUp() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 1)
        let a = try o.h.arrive()
        let quitters = try (0..<12).map { _ in try o.h.arrive() }
        o.advance(seconds: 10)
        for q in quitters { o.h.run(try o.h.center.customerLeaves(q)) }
        o.advance(seconds: 50)
        try o.end(a)  // handle time 60 s, one chat slot: a 60-s gap
        let line = LineID(queue: .orders, channel: .chat)
        let now = o.h.clock.now
        #expect(o.stats.patience(for: line).medianMs == 10_000)
        #expect(o.stats.estimatedWaits(waitedMs: [0, 0, 0], in: line, slots: 1, at: now) == [60_000, 60_000, 60_000])
        let nobodyLeaves = PatienceOutlook(PatienceSample().curve())
        #expect(o.stats.estimatedWaits(waitedMs: [0, 0, 0], in: line, slots: 1, at: now, patience: nobodyLeaves)
                == [60_000, 120_000, 180_000])
    }

    @Test func withoutDeparturesTheEstimateFallsBackOnHandleTimeOverSlots() throws {
        let o = try ObservedCenter()
        try o.h.agent("kim", chat: 1)
        let line = LineID(queue: .orders, channel: .chat)
        let a = try o.h.arrive()
        o.advance(seconds: 12)
        try o.end(a)  // handle time 12 s; the line was never busy
        #expect(o.stats.estimatedWait(place: 1, in: line, slots: 3, at: o.h.clock.now) == 4_000)
        #expect(o.stats.estimatedWait(place: 2, in: line, slots: 1, at: o.h.clock.now) == 24_000)
        #expect(o.stats.estimatedWait(place: 1, in: line, slots: 0, at: o.h.clock.now) == nil)
    }

    @Test func occupancyAndConcurrencyAreTimeWeighted() throws {
        let o = try ObservedCenter()
        let kim = try o.h.agent("kim", chat: 4)
        try o.h.agent("lee", chat: 2, voice: 1)
        o.advance(seconds: 10)  // both idle
        let a = try o.h.arrive()  // kim (more free slots)
        _ = try o.h.arrive()  // kim again: 2 of 4
        _ = try o.h.arrive(.orders, .voice)  // lee: a call, whole capacity
        #expect(o.h.holder(of: a) == kim)
        let now = AgentLoadSample(o.h.center.agents)
        #expect(now == AgentLoadSample(onDuty: 2, busy: 1.5, agentsWithChats: 1, chats: 2))
        #expect(now.occupancy == 0.75)
        #expect(now.concurrency == 2)
        o.advance(seconds: 30)
        try o.end(a)  // kim: 1 of 4 for 20 s more
        o.advance(seconds: 20)
        let load = o.stats.agentLoad(at: o.h.clock.now)
        #expect(load.now == AgentLoadSample(onDuty: 2, busy: 1.25, agentsWithChats: 1, chats: 1))
        // 10 s at 0 of 2, 30 s at 1.5 of 2, 20 s at 1.25 of 2: (45 + 25) / 120.
        #expect(load.run.occupancy == 70.0 / 120)
        // Kim held 2 chats for 30 s and 1 for 20 s.
        #expect(load.run.concurrency == 80.0 / 50)
        #expect(load.window.occupancy == 70.0 / 120)
        o.h.run(try o.h.center.setStatus(kim, .offline))  // kim's chat goes back; lee alone is on duty
        #expect(o.stats.agentLoad(at: o.h.clock.now).now == AgentLoadSample(onDuty: 1, busy: 1))
    }
}
