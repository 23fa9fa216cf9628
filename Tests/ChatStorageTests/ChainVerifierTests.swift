import Posix
import Testing
@testable import ChatStorage

/// The hash chain through the store: written by `TranscriptLog`, checked by
/// `ChainVerifier`, carried across segments and restarts.
struct ChainVerifierTests {
    let a = TranscriptKey(boot: 1, number: 1)
    let b = TranscriptKey(boot: 1, number: 2)
    /// Recent wall times, so that age retention keeps every segment.
    let now = WakeCondition.wallMilliseconds()

    func configuration(_ dir: TestDirectory, segmentBytes: Int = 1 << 20) -> StorageConfiguration {
        var c = StorageConfiguration(directory: dir.path)
        c.fsync = .always
        c.segmentBytes = segmentBytes
        return c
    }

    func fill(_ dir: TestDirectory, events: Int, segmentBytes: Int = 1 << 20) {
        let log = TranscriptLog(configuration: configuration(dir, segmentBytes: segmentBytes), report: ProgressBox().report)
        let start = log.lastSeq(of: a)
        for i in 1...Int64(events) {
            log.append(i % 3 == 0 ? b : a, seq: (i % 3 == 0 ? log.lastSeq(of: b) : log.lastSeq(of: a)) + 1, ts: now + i,
                       payload: Array("{\"text\":\"event \(i + start)\"}".utf8))
        }
        log.close()
    }

    @Test func anUntouchedStoreVerifiesAcrossSegmentsAndRestarts() throws {
        let dir = TestDirectory()
        fill(dir, events: 40, segmentBytes: 64 << 10)
        fill(dir, events: 40, segmentBytes: 64 << 10)  // a restart: a new segment goes on from the old head
        #expect(dir.segments.count >= 2)
        let report = try ChainVerifier.verify(directory: dir.path)
        #expect(report.isIntact, "\(String(describing: report.firstBreak))")
        #expect(report.verified == 80)
        #expect(report.unchained.isEmpty && report.chainStart == nil)
        let log = TranscriptLog(configuration: configuration(dir), report: ProgressBox().report)
        #expect(log.chain == report.head)
        #expect(log.link(of: b) == report.links[b]?.link)
        log.close()
    }

    @Test func everyFlippedByteNamesTheRecordItIsIn() throws {
        let dir = TestDirectory()
        fill(dir, events: 6)
        let name = dir.segments[0]
        let whole = dir.bytes(of: name)
        let extents = whole.withUnsafeBytes { RecordScanner.scanSegment($0).records.map(\.extent) }
        #expect(extents.count == 6)
        for position in RecordFormat.segmentHeaderSize..<whole.count {
            var broken = whole
            broken[position] ^= 0x20
            dir.write(broken, to: name)
            let report = try ChainVerifier.verify(directory: dir.path)
            let record = extents.firstIndex { $0.contains(position) }!
            let found = try #require(report.firstBreak, "flip at \(position)")
            #expect(found.segment == name && found.offset == extents[record].lowerBound, "flip at \(position): \(found)")
            #expect(report.verified == record, "flip at \(position)")
        }
        dir.write(whole, to: name)
        #expect(try ChainVerifier.verify(directory: dir.path).isIntact)
    }

    @Test func aReplacedSegmentHeadIsNamed() throws {
        let dir = TestDirectory()
        fill(dir, events: 3)
        fill(dir, events: 3)
        let second = dir.segments[1]
        var bytes = dir.bytes(of: second)
        bytes[20] ^= 1
        dir.write(bytes, to: second)
        let found = try #require(try ChainVerifier.verify(directory: dir.path).firstBreak)
        #expect(found.segment == second && found.offset == 16 && found.record == nil)
    }

    @Test func aTornTailInTheNewestSegmentIsANoteNotABreak() throws {
        let dir = TestDirectory()
        fill(dir, events: 3)
        let name = dir.segments[0]
        let whole = dir.bytes(of: name)
        dir.write(Array(whole[0..<(whole.count - 10)]), to: name)
        let report = try ChainVerifier.verify(directory: dir.path)
        #expect(report.isIntact && report.verified == 2 && report.tornTail != nil)
        // Recovery cuts it and the chain goes on from the last whole record.
        fill(dir, events: 3)
        let after = try ChainVerifier.verify(directory: dir.path)
        #expect(after.isIntact && after.verified == 5 && after.tornTail == nil)
    }

    @Test func segmentsOfOlderFormatsAreReadNotVerified() throws {
        let dir = TestDirectory()
        var old: [UInt8] = []
        RecordFormat.appendSegmentHeader(number: 1, version: .v2, to: &old)
        RecordFormat.append(key: a, seq: 1, ts: now, payload: Array("{}".utf8), version: .v2, to: &old)
        dir.write(old, to: "000000000001.seg")
        fill(dir, events: 3)
        let report = try ChainVerifier.verify(directory: dir.path)
        #expect(report.isIntact && report.unchained == [1] && report.verified == 3)
    }
}
