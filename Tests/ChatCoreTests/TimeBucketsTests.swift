import Testing
import ChatCore

struct TimeBucketsTests {
    func sum(_ b: TimeBuckets<Int>, at ms: Int64) -> Int { b.reduce(at: Instant(milliseconds: ms), into: 0) { $0 += $1 } }

    @Test func theWindowHoldsTheCurrentBucketAndTheWholeOnesBeforeIt() {
        var b = TimeBuckets(windowMs: 3_000, bucketMs: 1_000, empty: 0)
        #expect(b.windowMs == 3_000)
        b.update(at: Instant(milliseconds: 500)) { $0 += 1 }  // bucket 0
        b.update(at: Instant(milliseconds: 1_500)) { $0 += 10 }  // bucket 1
        b.update(at: Instant(milliseconds: 2_999)) { $0 += 100 }  // bucket 2
        #expect(sum(b, at: 2_999) == 111)
        #expect(sum(b, at: 3_000) == 110)  // bucket 0 left
        #expect(sum(b, at: 4_999) == 100)
        #expect(sum(b, at: 5_000) == 0)
    }

    @Test func aReusedSlotStartsEmptyAndALateValueIsDropped() {
        var b = TimeBuckets(windowMs: 2_000, bucketMs: 1_000, empty: 0)
        b.update(at: Instant(milliseconds: 100)) { $0 += 1 }
        b.update(at: Instant(milliseconds: 2_100)) { $0 += 5 }  // same slot, newer bucket
        #expect(sum(b, at: 2_100) == 5)
        b.update(at: Instant(milliseconds: 200)) { $0 += 7 }  // bucket 0 is gone for good
        #expect(sum(b, at: 2_100) == 5)
    }
}
