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

/// Erasure in place: the words leave the segment, the chain still verifies because the
/// marker lists the links the rewritten records keep.
struct ErasingTests {
    let key = TranscriptKey(boot: 1, number: 7)

    @Test func rewrittenRecordsVerifyThroughTheirMarker() throws {
        let dir = TestDirectory()
        defer { withExtendedLifetime(dir) {} }
        var c = StorageConfiguration(directory: dir.path)
        c.fsync = .always
        let now = WakeCondition.wallMilliseconds()
        let box = ProgressBox()
        let log = TranscriptLog(configuration: c, report: box.report)
        for seq in Int64(1)...3 {
            log.append(key, seq: seq, ts: now, payload: Array("{\"type\":\"message\",\"text\":\"secret \(seq)\"}".utf8))
        }
        log.flush()
        box.wait(for: log, written: log.appended)
        let rewritten = try log.erase(key, through: 2) { payload in
            String(decoding: payload, as: UTF8.self).contains("secret") ? payload.map { $0 == UInt8(ascii: "s") ? UInt8(ascii: "*") : $0 } : nil
        }
        #expect(rewritten.map(\.seq) == [1, 2])
        // Before the marker the chain is broken at the first rewritten record…
        let broken = try ChainVerifier.verify(directory: dir.path)
        #expect(broken.firstBreak?.record == RecordID(key: key, seq: 1))
        // …and with it, whole again.
        let marker = "{\"type\":\"erased\",\"conversation\":\"c-1-7\",\"seq\":4,\"ts\":\(now),\"through_seq\":2,\"rewritten\":\"\(RewrittenRecord.list(rewritten))\"}"
        log.append(key, seq: 4, ts: now, payload: Array(marker.utf8))
        log.close()
        let report = try ChainVerifier.verify(directory: dir.path)
        #expect(report.isIntact, "\(String(describing: report.firstBreak))")
        #expect(report.erasedVerified == 2 && report.verified == 4)
        let bytes = dir.bytes(of: dir.segments[0])
        #expect(String(decoding: bytes, as: UTF8.self).contains("secret 3"))
        #expect(!String(decoding: bytes, as: UTF8.self).contains("secret 1"))
    }
}
