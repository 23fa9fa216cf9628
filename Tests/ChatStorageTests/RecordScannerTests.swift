import Testing
@testable import ChatStorage

/// Damage in the middle of a segment (issue 15, item 2): the scan skips to the next
/// whole record and says what it skipped.
struct RecordScannerTests {
    let key = TranscriptKey(boot: 3, number: 9)

    func segment(_ count: Int, version: RecordFormat.Version = RecordFormat.current) -> (bytes: [UInt8], extents: [Range<Int>]) {
        var bytes: [UInt8] = []
        var extents: [Range<Int>] = []
        RecordFormat.appendSegmentHeader(number: 1, version: version, to: &bytes)
        for seq in 1...Int64(count) {
            let start = bytes.count
            RecordFormat.append(key: key, seq: seq, ts: 1_700_000_000_000 + seq, payload: payload("{\"text\":\"event \(seq)\"}"),
                                version: version, to: &bytes)
            extents.append(start..<bytes.count)
        }
        return (bytes, extents)
    }

    func seqs(_ scan: RecordScanner.Scan) -> [Int64] { scan.records.map(\.seq) }

    /// The attack: one flipped byte in the middle of a segment of 300 acknowledged
    /// records made recovery cut the segment there, losing the 151 intact records after
    /// it. Now only the damaged record is lost, and it is named.
    @Test func aFlippedByteMidSegmentCostsOnlyItsOwnRecord() {
        var (bytes, extents) = segment(300)
        bytes[extents[149].upperBound - ChainHash.size - 3] ^= 0x01  // in the payload of seq 150
        let scan = bytes.withUnsafeBytes { RecordScanner.scanSegment($0) }
        #expect(seqs(scan) == Array(1...149) + Array(151...300))
        #expect(scan.problem == nil && scan.goodLength == bytes.count)
        #expect(scan.outcome.damage.map(\.range) == [extents[149]])
        #expect(scan.outcome.damage.first?.identified == [RecordID(key: key, seq: 150)])
    }

    @Test func everyFlippedByteOfAMiddleRecordIsSkippedToTheNextOne() {
        for version in [RecordFormat.Version.v3, .v2, .v1] {
            let (bytes, extents) = segment(3, version: version)
            // Version 3's chain link (the last 32 bytes) is for `ChainVerifier` to check.
            for position in extents[1].dropLast(version.suffixSize) {
                var broken = bytes
                broken[position] ^= 0x41
                let scan = broken.withUnsafeBytes { RecordScanner.scanSegment($0) }
                #expect(seqs(scan) == [1, 3], "\(version) flip at \(position)")
                #expect(scan.outcome.damage.map(\.range) == [extents[1]], "\(version) flip at \(position)")
                #expect(scan.problem == nil, "\(version) flip at \(position)")
                // A version-2 record whose header survived is named.
                if version != .v1 && position - extents[1].lowerBound >= 40 {
                    #expect(scan.outcome.damage.first?.identified == [RecordID(key: key, seq: 2)], "flip at \(position)")
                }
            }
        }
    }

    /// The attack: a bad segment header made recovery remove all 300 records.
    @Test func aBadHeaderIsReadPastAndEveryRecordKept() {
        for version in [RecordFormat.Version.v3, .v2, .v1] {
            for position in 0..<version.headerSize where position < 8 {
                var (bytes, _) = segment(300, version: version)
                bytes[position] ^= 0x20
                let scan = bytes.withUnsafeBytes { RecordScanner.scanSegment($0) }
                #expect(scan.records.count == 300, "\(version) flip at \(position)")
                #expect(scan.outcome.headerDamaged && scan.outcome.version == version)
                #expect(scan.outcome.damage.map(\.range) == [0..<version.headerSize])
            }
        }
    }

    @Test func aDamagedLastRecordIsATailToSetAsideNotATornOne() {
        var (bytes, extents) = segment(3)
        bytes[extents[2].lowerBound + 45] ^= 0x01
        let scan = bytes.withUnsafeBytes { RecordScanner.scanSegment($0) }
        #expect(seqs(scan) == [1, 2] && scan.goodLength == extents[2].lowerBound)
        #expect(scan.problem?.contains("checksum") == true)
        #expect(scan.outcome.damage.map(\.range) == [extents[2]])
        let torn = Array(bytes[0..<(bytes.count - 1)]).withUnsafeBytes { RecordScanner.scanSegment($0) }
        #expect(torn.problem?.contains("torn") == true && torn.outcome.damage.isEmpty)
    }

    /// Random damage (flips, garbage runs, cuts) never breaks the scan's promises: the
    /// header, records and damaged ranges tile the bytes, and every record that no
    /// change touched is found.
    @Test func randomDamageLeavesEveryUntouchedRecordReadable() {
        var random = SplitMix(seed: 15)
        let (whole, extents) = segment(40)
        for _ in 0..<400 {
            var bytes = whole
            var touched: [Int] = []
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let at = Int(random.next() % UInt64(bytes.count))
                let run = Int(random.next() % 3 == 0 ? random.next() % 64 : 1)
                for p in at..<min(bytes.count, at + run) {
                    bytes[p] ^= UInt8(truncatingIfNeeded: random.next() % 255 + 1)  // never 0: the byte changes
                    touched.append(p)
                }
            }
            var cut = bytes.count
            if random.next() % 4 == 0 { cut = Int(random.next() % UInt64(bytes.count)) }
            let kept = Array(bytes[0..<cut])
            let scan = kept.withUnsafeBytes { RecordScanner.scanSegment($0) }
            let outcome = scan.outcome
            var pieces = scan.records.map(\.extent) + outcome.damage.map(\.range)
            if !outcome.headerDamaged, let version = outcome.version { pieces.append(0..<version.headerSize) }
            pieces.sort { $0.lowerBound < $1.lowerBound }
            var position = 0
            for piece in pieces {
                #expect(piece.lowerBound == position)
                position = piece.upperBound
            }
            #expect(position == outcome.goodLength || position == cut)
            guard outcome.version != nil else { continue }
            let found = Set(seqs(scan))
            for (i, extent) in extents.enumerated() where extent.upperBound <= cut && !touched.contains(where: extent.contains) {
                #expect(found.contains(Int64(i + 1)), "untouched seq \(i + 1) missing")
            }
        }
    }
}

/// A small seeded generator, so a failure repeats.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
