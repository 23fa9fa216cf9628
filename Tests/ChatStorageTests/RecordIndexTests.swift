import Testing
@testable import ChatStorage

struct RecordIndexTests {
    let a = TranscriptKey(boot: 1, number: 1)
    let old = TranscriptKey(boot: 0, number: 9)

    @Test func eachSeqFindsItsSegmentAndOffset() {
        var index = RecordIndex()
        let first = index.add(a, seq: 1, segment: 3, offset: 16)
        #expect(first)
        let second = index.add(a, seq: 2, segment: 4, offset: 4_000_000_000)
        #expect(second)
        let location = index.location(of: a, seq: 2)
        #expect(location?.segment == 4 && location?.offset == 4_000_000_000)
        #expect(index.location(of: a, seq: 3) == nil)
        #expect(index.lastSeq(of: a) == 2 && index.firstSeq(of: a) == 1)
    }

    @Test func aRepeatedSeqIsRefusedAndAGapIsRememberedAsLost() {
        var index = RecordIndex()
        index.add(a, seq: 1, segment: 1, offset: 16)
        let repeated = index.add(a, seq: 1, segment: 1, offset: 99)
        #expect(!repeated)
        let afterGap = index.add(a, seq: 4, segment: 2, offset: 16)
        #expect(afterGap)
        #expect(index.firstSeq(of: a) == 1 && index.lastSeq(of: a) == 4)
        #expect(index.gaps == [RecordID(key: a, seq: 2), RecordID(key: a, seq: 3)])
        #expect(index.isLost(a, seq: 2) && index.location(of: a, seq: 2) == nil)
        #expect(index.location(of: a, seq: 1)?.offset == 16 && index.location(of: a, seq: 4)?.segment == 2)
        // Retention drops the lost slots with the run they sit in.
        index.removeSegments(below: 2, live: 9)
        #expect(index.firstSeq(of: a) == 4 && !index.isLost(a, seq: 2))
    }

    @Test func aGapTooLongToFillRestartsTheRun() {
        var index = RecordIndex()
        index.add(a, seq: 1, segment: 1, offset: 16)
        index.add(a, seq: 3 + RecordIndex.maxGap, segment: 1, offset: 99)
        #expect(index.firstSeq(of: a) == 3 + RecordIndex.maxGap && index.gaps.isEmpty)
    }

    @Test func retentionDropsRemovedSegmentsButALiveConversationKeepsItsNumbering() {
        var index = RecordIndex()
        index.add(a, seq: 1, segment: 1, offset: 16)
        index.add(a, seq: 2, segment: 2, offset: 16)
        index.add(old, seq: 1, segment: 1, offset: 200)
        index.removeSegments(below: 2, live: 1)
        #expect(index.firstSeq(of: a) == 2 && index.lastSeq(of: a) == 2)
        #expect(index.firstSeq(of: old) == nil)
        index.removeSegments(below: 3, live: 1)
        #expect(index.lastSeq(of: a) == 2 && index.location(of: a, seq: 2) == nil)
        let next = index.add(a, seq: 3, segment: 3, offset: 16)
        #expect(next)
    }
}
