import Testing
@testable import ChatStorage

struct RetentionTests {
    let day: Int64 = 86_400_000
    func segments(_ ages: [Int64], now: Int64) -> [SegmentInfo] {
        ages.enumerated().map { SegmentInfo(number: UInt64($0.offset + 1), bytes: 100, newestTS: now - $0.element * day) }
    }

    @Test func oldestGoWhileTheTotalIsOverTheLimit() {
        let now: Int64 = 1_800_000_000_000
        let closed = segments([3, 2, 1, 0], now: now)
        #expect(Retention.removable(closed: closed, activeBytes: 100, maxBytes: 500, maxAgeSeconds: 0, nowMilliseconds: now) == 0)
        #expect(Retention.removable(closed: closed, activeBytes: 100, maxBytes: 300, maxAgeSeconds: 0, nowMilliseconds: now) == 2)
        #expect(Retention.removable(closed: closed, activeBytes: 100, maxBytes: 0, maxAgeSeconds: 0, nowMilliseconds: now) == 4)
    }

    @Test func segmentsPastTheAgeGoEvenUnderTheSizeLimit() {
        let now: Int64 = 1_800_000_000_000
        let closed = segments([10, 8, 1, 0], now: now)
        #expect(Retention.removable(closed: closed, activeBytes: 0, maxBytes: 1 << 40, maxAgeSeconds: 7 * 86_400, nowMilliseconds: now) == 2)
    }
}
