/// The bytes of segment files (protocol/storage.md, "Files"). A segment starts with a
/// header: an 8-byte magic that names the format version, the segment number (u64
/// little-endian) and, since version 3, the chain link before the segment's first
/// record (32 bytes; the last record's link of the segment before). Records follow back
/// to back. Version 3 (`SWBSEG03`, written since issue 18):
///
///     sync FF 00 52 43 | u32 payload length | u32 boot | u64 conversation number
///     | i64 seq | i64 wall ms | u32 CRC-32 of bytes 4..<36 | u32 CRC-32 of the payload
///     | payload | 32-byte chain link
///
/// The chain link is SHA-256(previous link ‖ the record's bytes from the length field
/// to the end of the payload): every record vouches for every one before it, across
/// segments, so an edit anywhere breaks every later link (`ChainVerifier`).
///
/// The sync marker lets recovery find the next record after damaged bytes: 0xFF and
/// 0x00 never occur in a payload (UTF-8 JSON), so it occurs only where a record starts
/// or, by chance, inside another record's binary fields, where the header checksum
/// tells it apart. The header checksum makes a record's identity and length
/// trustworthy even when its payload is damaged, so a loss can be named exactly.
///
/// Version 2 (`SWBSEG02`, read only): the same without the chain link, and a 16-byte
/// segment header. Version 1 (`SWBSEG01`, read only): `u32 body length | u32 CRC-32 of
/// the body | body` with `body = u32 boot | u64 number | i64 seq | i64 wall ms | payload`.
///
/// Stateless.
public enum RecordFormat {
    public enum Version: UInt8, Sendable {
        case v1 = 1
        case v2 = 2
        case v3 = 3

        var magic: [UInt8] { Array("SWBSEG0\(rawValue)".utf8) }
        /// Bytes before the payload.
        public var prefixSize: Int { self == .v1 ? 36 : 44 }
        /// Bytes after the payload: version 3's chain link.
        public var suffixSize: Int { self == .v3 ? ChainHash.size : 0 }
        /// Bytes of the segment header.
        public var headerSize: Int { self == .v3 ? 48 : 16 }
        public var isChained: Bool { self == .v3 }
    }

    /// The version this build writes.
    public static let current = Version.v3
    /// The header size of the version this build writes.
    public static var segmentHeaderSize: Int { current.headerSize }
    public static let sync: [UInt8] = [0xFF, 0x00, 0x52, 0x43]
    /// The largest payload a record may carry; larger lengths mean corruption.
    public static let maxPayload = 1 << 20

    /// The size on disk of a record with `payloadCount` payload bytes.
    public static func recordSize(payload payloadCount: Int, version: Version = current) -> Int {
        version.prefixSize + payloadCount + version.suffixSize
    }

    /// `chain`: the link before the segment's first record (version 3).
    public static func appendSegmentHeader(number: UInt64, version: Version = current, chain: ChainHash = .zero,
                                           to out: inout [UInt8]) {
        out.append(contentsOf: version.magic)
        appendLE(number, to: &out)
        if version.isChained { chain.append(to: &out) }
    }

    /// Appends one record to `out` (versions 1 and 2 only for tests and old data);
    /// version 3 computes its chain link from `chain` and leaves the new link there.
    public static func append(key: TranscriptKey, seq: Int64, ts: Int64, payload: [UInt8], version: Version = current,
                              chain: inout ChainHash, to out: inout [UInt8]) {
        precondition(payload.count <= maxPayload, "record payload too large")
        let start = out.count
        switch version {
        case .v2, .v3:
            out.append(contentsOf: sync)
            appendLE(UInt32(payload.count), to: &out)
            appendFields(key: key, seq: seq, ts: ts, to: &out)
            let headerCRC = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 4)..<(start + 36)])) }
            appendLE(headerCRC, to: &out)
            appendLE(CRC32.checksum(payload), to: &out)
            out.append(contentsOf: payload)
            if version == .v3 {
                chain = out.withUnsafeBytes { chain.next(UnsafeRawBufferPointer(rebasing: $0[(start + 4)...])) }
                chain.append(to: &out)
            }
        case .v1:
            appendLE(UInt32(28 + payload.count), to: &out)
            appendLE(UInt32(0), to: &out)
            appendFields(key: key, seq: seq, ts: ts, to: &out)
            out.append(contentsOf: payload)
            let crc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 8)...])) }
            withUnsafeBytes(of: crc.littleEndian) { crcBytes in
                for i in 0..<4 { out[start + 4 + i] = crcBytes[i] }
            }
        }
    }

    /// Appends one record without a chain (old formats, tests).
    public static func append(key: TranscriptKey, seq: Int64, ts: Int64, payload: [UInt8], version: Version = current,
                              to out: inout [UInt8]) {
        var chain = ChainHash.zero
        append(key: key, seq: seq, ts: ts, payload: payload, version: version, chain: &chain, to: &out)
    }

    private static func appendFields(key: TranscriptKey, seq: Int64, ts: Int64, to out: inout [UInt8]) {
        appendLE(key.boot, to: &out)
        appendLE(key.number, to: &out)
        appendLE(UInt64(bitPattern: seq), to: &out)
        appendLE(UInt64(bitPattern: ts), to: &out)
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

    /// Where the record's chain link lies (version 3), nil for older records.
    public var link: Int? { extent.upperBound - payload.upperBound == ChainHash.size ? payload.upperBound : nil }
    /// The bytes the chain link covers: from the length field to the end of the payload.
    public var linked: Range<Int> { (extent.lowerBound + 4)..<payload.upperBound }
}
