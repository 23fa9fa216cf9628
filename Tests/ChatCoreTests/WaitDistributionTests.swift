import Testing
import ChatCore

struct WaitDistributionTests {
    @Test func anEmptyDistributionHasACountButNoFigures() {
        let d = WaitDistribution()
        #expect(d.summary == DurationSummary(count: 0))
    }

    @Test func meanIsExactAndPercentilesAreWithinOnePercent() {
        var d = WaitDistribution()
        for ms in [1_000, 2_000, 3_000, 4_000, 100_000] as [Int64] { d.record(ms: ms) }
        #expect(d.count == 5)
        #expect(d.meanMs == 22_000)
        let p50 = d.percentile(50)!
        #expect(abs(p50 - 3_000) <= 30)
        let p99 = d.percentile(99)!
        #expect(abs(p99 - 100_000) <= 1_000)
    }

    @Test func negativeAndHugeValuesAreClampedIntoTheRange() {
        var d = WaitDistribution()
        d.record(ms: -5)
        d.record(ms: 10 * WaitDistribution.highestTrackableMs)
        #expect(d.percentile(0) == 0)
        #expect(d.totalMs == WaitDistribution.highestTrackableMs)
    }

    @Test func addingMergesCountsSumsAndHistograms() {
        var a = WaitDistribution()
        var b = WaitDistribution()
        a.record(ms: 10)
        b.record(ms: 20)
        b.record(ms: 30)
        a.add(b)
        a.add(WaitDistribution())
        #expect(a.count == 3)
        #expect(a.meanMs == 20)
        #expect(a.percentile(50) == 20)
        #expect(a.percentile(100) == 30)
    }
}
