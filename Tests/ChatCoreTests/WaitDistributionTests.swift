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

    @Test func bucketsCountEveryValueAtOrBelowEachBoundExactly() {
        var d = WaitDistribution()
        for ms in [0, 1_000, 1_001, 25_000, 30_000, 7_200_000] as [Int64] { d.record(ms: ms) }
        let b = d.buckets
        let bounds = WaitDistribution.bucketBoundsMs
        #expect(b.count == 6 && b.totalMs == 0 + 1_000 + 1_001 + 25_000 + 30_000 + 7_200_000)
        #expect(b.cumulativeCounts[bounds.firstIndex(of: 1_000)!] == 2)  // 0 and 1 s: the bound is inclusive
        #expect(b.cumulativeCounts[bounds.firstIndex(of: 2_000)!] == 3)
        #expect(b.cumulativeCounts[bounds.firstIndex(of: 20_000)!] == 3)
        #expect(b.cumulativeCounts[bounds.firstIndex(of: 30_000)!] == 5)
        #expect(b.cumulativeCounts.last == 5)  // two hours is past the last bound: only in +Inf (count)
        #expect(b.cumulativeCounts == b.cumulativeCounts.sorted())
    }

    @Test func mergedBucketsAddUp() {
        var a = WaitDistribution()
        var b = WaitDistribution()
        a.record(ms: 500)
        b.record(ms: 500)
        b.record(ms: 90_000)
        var empty = WaitDistribution()
        empty.add(a)
        empty.add(b)
        #expect(empty.buckets.cumulativeCounts.first == 2)
        #expect(empty.buckets.count == 3)
        #expect(WaitDistribution().buckets.cumulativeCounts.allSatisfy { $0 == 0 })
    }
}
