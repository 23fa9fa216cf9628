import Testing
@testable import ChatServer

struct MessageRateTests {
    let second: UInt64 = 1_000_000_000

    @Test func aBurstIsAllowedThenMessagesAreRefused() {
        var rate = MessageRate(perSecond: 20, burst: 40, now: 0)
        for _ in 0..<40 { #expect(rate.admit(now: 0) == .allowed) }
        #expect(rate.admit(now: 0) == .limited(retryAfterMs: 50))
    }

    @Test func tokensComeBackAtTheRate() {
        var rate = MessageRate(perSecond: 10, burst: 1, now: 0)
        #expect(rate.admit(now: 0) == .allowed)
        #expect(rate.admit(now: second / 20) == .limited(retryAfterMs: 50))
        #expect(rate.admit(now: second / 10) == .allowed)
        // A long pause refills no more than the burst.
        #expect(rate.admit(now: 100 * second) == .allowed)
        #expect(rate.admit(now: 100 * second) != .allowed)
    }

    @Test func theThirdRefusalWithinTenSecondsIsFatal() {
        var rate = MessageRate(perSecond: 1, burst: 1, now: 0)
        #expect(rate.admit(now: 0) == .allowed)
        #expect(rate.admit(now: 0) == .limited(retryAfterMs: 1000))
        #expect(rate.admit(now: second / 2) == .limited(retryAfterMs: 500))
        #expect(rate.admit(now: second * 3 / 4) == .exceeded(retryAfterMs: 10_000))
    }

    @Test func aFatalRefusalStartsTenSecondsInWhichEveryMessageIsFatal() {
        var rate = MessageRate(perSecond: 1, burst: 1, now: 0)
        _ = rate.admit(now: 0)
        _ = rate.admit(now: 0)
        _ = rate.admit(now: 0)
        #expect(rate.admit(now: 0) == .exceeded(retryAfterMs: 10_000))
        #expect(rate.penalty(now: 4 * second) == 6_000)
        #expect(rate.admit(now: 4 * second) == .exceeded(retryAfterMs: 6_000))
        #expect(rate.admit(now: 10 * second) == .allowed)
    }

    @Test func aSharedBudgetRefusesButNeverEscalates() {
        var rate = MessageRate(perSecond: 1, burst: 1, now: 0, escalates: false)
        _ = rate.admit(now: 0)
        for _ in 0..<10 { #expect(rate.admit(now: 0) == .limited(retryAfterMs: 1000)) }
        rate.punish(now: 0)
        #expect(rate.penalty(now: 0) == nil)
    }

    @Test func aBudgetIsAtRestOnceFullWithNothingToRemember() {
        var rate = MessageRate(perSecond: 10, burst: 10, now: 0)
        #expect(rate.isAtRest(now: 0))
        _ = rate.admit(now: 0)
        #expect(!rate.isAtRest(now: 0))
        #expect(rate.isAtRest(now: second / 10))
        rate.punish(now: second)
        #expect(!rate.isAtRest(now: 5 * second))
        #expect(rate.isAtRest(now: 11 * second))
    }

    @Test func refusalsOlderThanTheWindowAreForgotten() {
        var rate = MessageRate(perSecond: 1, burst: 1, now: 0)
        _ = rate.admit(now: 0)
        #expect(rate.admit(now: 0) == .limited(retryAfterMs: 1000))
        #expect(rate.admit(now: 0) == .limited(retryAfterMs: 1000))
        #expect(rate.admit(now: 11 * second) == .allowed)
        #expect(rate.admit(now: 11 * second) == .limited(retryAfterMs: 1000))
        #expect(rate.admit(now: 11 * second) == .limited(retryAfterMs: 1000))
    }
}
