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

/// Retention by kind and legal holds, on an injected clock.
struct RetentionByKindTests {
    let day: Int64 = 86_400_000
    let now: Int64 = 1_900_000_000_000

    func segment(_ number: UInt64, conversationAge: Int64? = nil, ratingAge: Int64? = nil, leftAge: Int64? = nil) -> SegmentInfo {
        var ages = RecordAges()
        if let a = conversationAge { ages.conversation = now - a * day }
        if let a = ratingAge { ages.rating = now - a * day }
        if let a = leftAge { ages.leftMessage = now - a * day }
        return SegmentInfo(number: number, bytes: 100, newestTS: now, ages: ages)
    }

    @Test func theDefaultKeepsEverythingForThreeYears() {
        let policy = RetentionPolicy()
        #expect(policy.conversations == 1095 * 86_400 && policy.ratings == policy.conversations)
        let closed = [segment(1, conversationAge: 1096), segment(2, conversationAge: 1094), segment(3, conversationAge: 10)]
        #expect(Retention.removable(closed: closed, activeBytes: 0, maxBytes: .max, policy: policy, nowMilliseconds: now) == [.age])
    }

    @Test func aSegmentGoesOnlyWhenEveryKindInItHasExpired() {
        var policy = RetentionPolicy()
        policy.conversations = 30 * 86_400
        policy.ratings = 365 * 86_400
        let closed = [segment(1, conversationAge: 400), segment(2, conversationAge: 40, ratingAge: 40), segment(3, conversationAge: 40)]
        // Segment 2 holds a rating younger than a year: it stops the purge there.
        #expect(Retention.removable(closed: closed, activeBytes: 0, maxBytes: .max, policy: policy, nowMilliseconds: now) == [.age])
        let later = now + 400 * day
        #expect(Retention.removable(closed: closed, activeBytes: 0, maxBytes: .max, policy: policy, nowMilliseconds: later).count == 3)
    }

    @Test func zeroDaysKeepsAKindForEver() {
        var policy = RetentionPolicy(all: 1 * 86_400)
        policy.leftMessages = 0
        let closed = [segment(1, conversationAge: 10, leftAge: 10), segment(2, conversationAge: 10)]
        #expect(Retention.removable(closed: closed, activeBytes: 0, maxBytes: .max, policy: policy, nowMilliseconds: now).isEmpty)
    }

    @Test func aHeldSegmentAndEveryNewerOneIsKept() {
        let policy = RetentionPolicy(all: 86_400)
        let closed = [segment(1, conversationAge: 10), segment(2, conversationAge: 10), segment(3, conversationAge: 10)]
        #expect(Retention.removable(closed: closed, activeBytes: 0, maxBytes: .max, policy: policy, holdFloor: 2,
                                    nowMilliseconds: now) == [.age])
        // Not even the size limit purges a held segment.
        #expect(Retention.removable(closed: closed, activeBytes: 0, maxBytes: 0, policy: RetentionPolicy(), holdFloor: 2,
                                    nowMilliseconds: now) == [.size])
    }

    @Test func theKindOfARecordIsReadFromItsType() {
        #expect(RecordKind.of(Array("{\"type\":\"rated\",\"conversation\":\"c-1-1\"}".utf8)) == .rating)
        #expect(RecordKind.of(Array("{\"type\":\"left_message\",\"contact\":\"x\"}".utf8)) == .leftMessage)
        #expect(RecordKind.of(Array("{\"type\":\"message_left\",\"conversation\":\"m-1-1\"}".utf8)) == .leftMessage)
        #expect(RecordKind.of(Array("{\"type\":\"message\",\"conversation\":\"c-1-1\"}".utf8)) == .conversation)
    }
}

/// The holds file and the floor it gives the writer.
struct LegalHoldsTests {
    @Test func holdAndReleaseRoundTripThroughTheFile() throws {
        let dir = TestDirectory()
        let key = TranscriptKey(boot: 3, number: 9)
        #expect(LegalHolds.read(directory: dir.path).isEmpty)
        #expect(try LegalHolds.set(key, held: true, directory: dir.path) == [key])
        #expect(LegalHolds.read(directory: dir.path) == [key])
        #expect(try LegalHolds.set(key, held: false, directory: dir.path).isEmpty)
        #expect(LegalHolds.key("c-3-9") == key && LegalHolds.key("c-3") == nil && LegalHolds.key("x-3-9") == nil)
    }

    @Test func theStoreKeepsTheSegmentsOfAHeldConversation() throws {
        let dir = TestDirectory()
        defer { withExtendedLifetime(dir) {} }
        var c = StorageConfiguration(directory: dir.path)
        c.fsync = .always
        c.segmentBytes = 64 << 10
        let now = WakeCondition.wallMilliseconds()
        let held = TranscriptKey(boot: 1, number: 1)
        let other = TranscriptKey(boot: 1, number: 2)
        var log = TranscriptLog(configuration: c, report: ProgressBox().report)
        log.append(held, seq: 1, ts: now, payload: Array("{\"type\":\"message\",\"text\":\"evidence\"}".utf8))
        for seq in Int64(1)...400 {
            log.append(other, seq: seq, ts: now, payload: Array(("{\"type\":\"message\",\"text\":\"" + String(repeating: "x", count: 300) + "\"}").utf8))
        }
        log.close()
        try LegalHolds.set(held, held: true, directory: dir.path)
        log = TranscriptLog(configuration: c, report: ProgressBox().report)
        #expect(log.holds == [held] && log.holdFloor == 1)
        log.close()
    }
}
