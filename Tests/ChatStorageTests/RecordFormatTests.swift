import Testing
@testable import ChatStorage

struct RecordFormatTests {
    let key = TranscriptKey(boot: 3, number: 4_294_967_297)

    func segment(_ records: [(Int64, String)], version: RecordFormat.Version = RecordFormat.current) -> [UInt8] {
        var bytes: [UInt8] = []
        RecordFormat.appendSegmentHeader(number: 7, version: version, to: &bytes)
        for (seq, text) in records {
            RecordFormat.append(key: key, seq: seq, ts: 1_700_000_000_000 + seq, payload: payload(text), version: version, to: &bytes)
        }
        return bytes
    }

    @Test func aRecordReadsBackWithItsFields() {
        let bytes = segment([(1, "hello"), (2, "")])
        let scan = bytes.withUnsafeBytes { RecordScanner.scanSegment($0) }
        #expect(scan.problem == nil)
        #expect(scan.goodLength == bytes.count)
        #expect(scan.records.count == 2)
        #expect(scan.records[0].key == key && scan.records[0].seq == 1 && scan.records[0].ts == 1_700_000_000_001)
        #expect(Array(bytes[scan.records[0].payload]) == payload("hello"))
        #expect(scan.records[1].payload.isEmpty)
        #expect(bytes.withUnsafeBytes { RecordScanner.segmentNumber($0) } == 7)
    }

    @Test func theLayoutIsSyncLengthFieldsTwoChecksumsPayloadThenChainLink() {
        var bytes: [UInt8] = []
        var chain = ChainHash.zero
        RecordFormat.append(key: TranscriptKey(boot: 1, number: 2), seq: 3, ts: 4, payload: [0xAB], chain: &chain, to: &bytes)
        #expect(bytes.count == RecordFormat.recordSize(payload: 1) && bytes.count == 45 + 32)
        #expect(Array(bytes[0..<4]) == [0xFF, 0x00, 0x52, 0x43])  // the sync marker
        #expect(Array(bytes[4..<8]) == [1, 0, 0, 0])  // payload length
        #expect(Array(bytes[8..<12]) == [1, 0, 0, 0])  // boot
        #expect(bytes[12] == 2 && bytes[20] == 3 && bytes[28] == 4)
        func le32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        #expect(le32(36) == CRC32.checksum(Array(bytes[4..<36])))
        #expect(le32(40) == CRC32.checksum([0xAB]))
        #expect(bytes[44] == 0xAB)
        // The link: SHA-256 of 32 zero bytes (the first link) and bytes 4..<45.
        #expect(Array(bytes[45...]) == chain.bytes)
        #expect(chain == bytes.withUnsafeBytes { ChainHash.zero.next(UnsafeRawBufferPointer(rebasing: $0[4..<45])) })
    }

    @Test func sha256OfTheChainIsTheStandardOne() {
        // SHA-256 of 32 zero bytes followed by "abc" (as Python's hashlib computes it).
        let link = Array("abc".utf8).withUnsafeBytes { ChainHash.zero.next($0) }
        #expect(link.hex == "365aa7d8f7f9402c4b9434502b4cc89ddb09fe50d7cd95b493b834c62d5a5370")
        #expect(ChainHash(hex: link.hex) == link)
        #expect(ChainHash(hex: "zz") == nil)
    }

    @Test func version1RecordsKeepTheirLayout() {
        var bytes: [UInt8] = []
        RecordFormat.append(key: TranscriptKey(boot: 1, number: 2), seq: 3, ts: 4, payload: [0xAB], version: .v1, to: &bytes)
        #expect(bytes.count == RecordFormat.recordSize(payload: 1, version: .v1))
        #expect(Array(bytes[0..<4]) == [29, 0, 0, 0])  // 28 fixed body bytes + 1 payload byte
        #expect(Array(bytes[8..<12]) == [1, 0, 0, 0])
        let crc = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
        #expect(crc == CRC32.checksum(Array(bytes[8...])))
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func everyFlippedByteOfARecordIsCaught() {
        let bytes = segment([(1, "first"), (2, "second message")])
        let secondStart = RecordFormat.segmentHeaderSize + RecordFormat.recordSize(payload: 5)
        // The chain link (the last 32 bytes) is checked by `ChainVerifier`, not the scanner.
        for position in secondStart..<(bytes.count - ChainHash.size) {
            var broken = bytes
            broken[position] ^= 0x41
            let scan = broken.withUnsafeBytes { RecordScanner.scanSegment($0) }
            #expect(scan.records.count == 1, "flip at \(position)")
            #expect(scan.goodLength == secondStart, "flip at \(position)")
            #expect(scan.problem != nil, "flip at \(position)")
        }
    }

    @Test func everyTruncationOfTheLastRecordIsATornTail() {
        let bytes = segment([(1, "first"), (2, "second message")])
        let secondStart = RecordFormat.segmentHeaderSize + RecordFormat.recordSize(payload: 5)
        for length in secondStart..<bytes.count {
            let scan = Array(bytes[0..<length]).withUnsafeBytes { RecordScanner.scanSegment($0) }
            #expect(scan.records.count == 1 && scan.goodLength == secondStart)
            #expect((scan.problem != nil) == (length > secondStart))
        }
    }

    @Test func anImpossibleLengthIsCorruptNotAWaitForMore() {
        var bytes = segment([(1, "x")])
        let start = bytes.count
        RecordFormat.append(key: key, seq: 2, ts: 2, payload: [], to: &bytes)
        bytes[start + 4..<start + 8] = [0xFF, 0xFF, 0xFF, 0x7F]  // a length past any payload…
        let crc = CRC32.checksum(Array(bytes[(start + 4)..<(start + 36)]))  // …under a valid header checksum
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[start + 36 + i] = $0[i] } }
        let scan = bytes.withUnsafeBytes { RecordScanner.scanSegment($0) }
        #expect(scan.records.count == 1)
        #expect(scan.problem?.contains("length") == true)
    }

    @Test func aForeignFileIsNotASegment() {
        let scan = Array("not a segment at all".utf8).withUnsafeBytes { RecordScanner.scanSegment($0) }
        #expect(scan.goodLength == 0 && scan.outcome.version == nil)
        #expect(scan.problem?.hasPrefix("bad segment header") == true)
    }
}
