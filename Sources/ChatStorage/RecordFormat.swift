/// The bytes of segment files (protocol/storage.md). A segment starts with a 16-byte
/// header: the magic `SWBSEG01` and the segment number (u64 little-endian). Records
/// follow back to back:
///
///     u32 body length | u32 CRC-32 of the body | body
///     body = u32 boot | u64 conversation number | i64 seq | i64 wall ms | payload
///
/// The length prefix lets a reader skip to the next record; the checksum tells a
/// whole record from a torn or corrupted one. Stateless.
public enum RecordFormat {
    public static let magic: [UInt8] = Array("SWBSEG01".utf8)
    public static let segmentHeaderSize = 16
    /// Length and checksum.
    public static let prefixSize = 8
    /// boot, number, seq, ts.
    public static let fixedBodySize = 28
    /// The largest payload a record may carry; larger lengths mean corruption.
    public static let maxPayload = 1 << 20

    /// The size on disk of a record with `payloadCount` payload bytes.
    public static func recordSize(payload payloadCount: Int) -> Int { prefixSize + fixedBodySize + payloadCount }

    public static func appendSegmentHeader(number: UInt64, to out: inout [UInt8]) {
        out.append(contentsOf: magic)
        appendLE(number, to: &out)
    }

    /// Appends one record to `out`.
    public static func append(key: TranscriptKey, seq: Int64, ts: Int64, payload: [UInt8], to out: inout [UInt8]) {
        precondition(payload.count <= maxPayload, "record payload too large")
        let start = out.count
        appendLE(UInt32(fixedBodySize + payload.count), to: &out)
        appendLE(UInt32(0), to: &out)
        appendLE(key.boot, to: &out)
        appendLE(key.number, to: &out)
        appendLE(UInt64(bitPattern: seq), to: &out)
        appendLE(UInt64(bitPattern: ts), to: &out)
        out.append(contentsOf: payload)
        let crc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + prefixSize)...])) }
        withUnsafeBytes(of: crc.littleEndian) { crcBytes in
            for i in 0..<4 { out[start + 4 + i] = crcBytes[i] }
        }
    }

    static func appendLE<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    static func readLE<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// One record as found in a buffer: its fields and where its payload lies. A plain value.
public struct RecordView: Equatable, Sendable {
    public let key: TranscriptKey
    public let seq: Int64
    public let ts: Int64
    /// Byte range of the payload within the scanned buffer.
    public let payload: Range<Int>
    /// Byte range of the whole record within the scanned buffer.
    public let extent: Range<Int>
}

/// Parses records out of bytes without doing I/O: one step at a time, "need more" at
/// the end instead of throwing, so the same code scans whole segments at recovery,
/// reads single records back, and runs under the fuzzer. Stateless.
public enum RecordScanner {
    public enum Step: Equatable, Sendable {
        case record(RecordView)
        /// The bytes end inside a record (or exactly at `offset`, `missing` 0).
        case needMore(missing: Int)
        /// The bytes at `offset` are not a record: a bad length or a checksum mismatch.
        case corrupt(String)
    }

    /// The record that starts at `offset` in `bytes`.
    public static func step(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Step {
        let available = bytes.count - offset
        guard available >= RecordFormat.prefixSize else {
            return .needMore(missing: available == 0 ? 0 : RecordFormat.prefixSize - available)
        }
        let bodyLength = Int(RecordFormat.readLE(UInt32.self, bytes, at: offset))
        guard bodyLength >= RecordFormat.fixedBodySize, bodyLength <= RecordFormat.fixedBodySize + RecordFormat.maxPayload else {
            return .corrupt("record length \(bodyLength) out of range")
        }
        guard available >= RecordFormat.prefixSize + bodyLength else {
            return .needMore(missing: RecordFormat.prefixSize + bodyLength - available)
        }
        let bodyStart = offset + RecordFormat.prefixSize
        let stored = RecordFormat.readLE(UInt32.self, bytes, at: offset + 4)
        let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(bodyStart + bodyLength)]))
        guard stored == computed else { return .corrupt("checksum mismatch") }
        let key = TranscriptKey(boot: RecordFormat.readLE(UInt32.self, bytes, at: bodyStart),
                                number: RecordFormat.readLE(UInt64.self, bytes, at: bodyStart + 4))
        let seq = Int64(bitPattern: RecordFormat.readLE(UInt64.self, bytes, at: bodyStart + 12))
        let ts = Int64(bitPattern: RecordFormat.readLE(UInt64.self, bytes, at: bodyStart + 20))
        return .record(RecordView(key: key, seq: seq, ts: ts,
                                  payload: (bodyStart + RecordFormat.fixedBodySize)..<(bodyStart + bodyLength),
                                  extent: offset..<(bodyStart + bodyLength)))
    }

    /// The segment number if `bytes` start with a valid segment header.
    public static func segmentNumber(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count >= RecordFormat.segmentHeaderSize,
              bytes.prefix(8).elementsEqual(RecordFormat.magic) else { return nil }
        return RecordFormat.readLE(UInt64.self, bytes, at: 8)
    }

    /// What scanning a whole segment found: its records and where the good bytes end.
    public struct Scan: Sendable {
        public var records: [RecordView] = []
        /// Length of the prefix made of the header and whole, valid records.
        public var goodLength = 0
        /// Why the scan stopped before the end of the bytes (nil: it did not).
        public var problem: String?
    }

    /// Scans a segment's bytes: header, then records until the end or the first bad one.
    public static func scanSegment(_ bytes: UnsafeRawBufferPointer) -> Scan {
        var records: [RecordView] = []
        var goodLength = 0
        let problem = forEachRecord(in: bytes, goodLength: &goodLength) { records.append($0) }
        return Scan(records: records, goodLength: goodLength, problem: problem)
    }

    /// Calls `body` with each record of a segment's bytes in order, without collecting
    /// them (recovery of large segments); returns why it stopped early (nil: the end),
    /// with `goodLength` the length of the whole, valid prefix.
    public static func forEachRecord(in bytes: UnsafeRawBufferPointer, goodLength: inout Int,
                                     _ body: (RecordView) -> Void) -> String? {
        goodLength = 0
        guard segmentNumber(bytes) != nil else {
            return bytes.count < RecordFormat.segmentHeaderSize ? "torn segment header" : "bad segment header"
        }
        var offset = RecordFormat.segmentHeaderSize
        goodLength = offset
        while true {
            switch step(bytes, at: offset) {
            case .record(let view):
                body(view)
                offset = view.extent.upperBound
                goodLength = offset
            case .needMore(let missing):
                return missing > 0 ? "torn record at offset \(offset) (\(missing) bytes missing)" : nil
            case .corrupt(let reason):
                return "\(reason) at offset \(offset)"
            }
        }
    }
}
