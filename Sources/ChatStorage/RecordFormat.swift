/// The bytes of segment files (protocol/storage.md, "Files"). A segment starts with a
/// 16-byte header: an 8-byte magic that names the format version and the segment
/// number (u64 little-endian). Records follow back to back. Version 2 (`SWBSEG02`,
/// written since issue 15):
///
///     sync FF 00 52 43 | u32 payload length | u32 boot | u64 conversation number
///     | i64 seq | i64 wall ms | u32 CRC-32 of bytes 4..<36 | u32 CRC-32 of the payload
///     | payload
///
/// The sync marker lets recovery find the next record after damaged bytes: 0xFF and
/// 0x00 never occur in a payload (UTF-8 JSON), so it occurs only where a record starts
/// or, by chance, inside another record's binary fields, where the header checksum
/// tells it apart. The header checksum makes a record's identity and length
/// trustworthy even when its payload is damaged, so a loss can be named exactly.
///
/// Version 1 (`SWBSEG01`, read only): `u32 body length | u32 CRC-32 of the body | body`
/// with `body = u32 boot | u64 number | i64 seq | i64 wall ms | payload`.
///
/// Stateless.
public enum RecordFormat {
    public enum Version: UInt8, Sendable {
        case v1 = 1
        case v2 = 2

        var magic: [UInt8] { Array("SWBSEG0\(rawValue)".utf8) }
        /// Bytes before the payload.
        public var prefixSize: Int { self == .v1 ? 36 : 44 }
    }

    /// The version this build writes.
    public static let current = Version.v2
    public static let segmentHeaderSize = 16
    public static let sync: [UInt8] = [0xFF, 0x00, 0x52, 0x43]
    /// The largest payload a record may carry; larger lengths mean corruption.
    public static let maxPayload = 1 << 20

    /// The size on disk of a record with `payloadCount` payload bytes.
    public static func recordSize(payload payloadCount: Int, version: Version = current) -> Int {
        version.prefixSize + payloadCount
    }

    public static func appendSegmentHeader(number: UInt64, version: Version = current, to out: inout [UInt8]) {
        out.append(contentsOf: version.magic)
        appendLE(number, to: &out)
    }

    /// Appends one record to `out` (version 1 only for tests and old data).
    public static func append(key: TranscriptKey, seq: Int64, ts: Int64, payload: [UInt8], version: Version = current,
                              to out: inout [UInt8]) {
        precondition(payload.count <= maxPayload, "record payload too large")
        let start = out.count
        switch version {
        case .v2:
            out.append(contentsOf: sync)
            appendLE(UInt32(payload.count), to: &out)
            appendFields(key: key, seq: seq, ts: ts, to: &out)
            let headerCRC = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 4)..<(start + 36)])) }
            appendLE(headerCRC, to: &out)
            appendLE(CRC32.checksum(payload), to: &out)
            out.append(contentsOf: payload)
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
}
