// The primitives of the command log's byte form: big-endian fixed-width integers, and
// strings and lists with a 4-byte length before them. Fixed widths leave each value one
// encoding only, so decoding then encoding gives back the very same bytes.

/// Appends the primitives to a byte array, checking limits. Owned by one encode call.
struct CommandLogWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func int32(_ value: Int32) { uint(UInt64(UInt32(bitPattern: value)), width: 4) }

    mutating func int64(_ value: Int64) { uint(UInt64(bitPattern: value), width: 8) }

    mutating func uint64(_ value: UInt64) { uint(value, width: 8) }

    mutating func int(_ value: Int) { int64(Int64(value)) }

    mutating func time(_ milliseconds: Int64, field: String) throws(CommandLogError) {
        guard LoggedCommand.timeRange.contains(milliseconds) else {
            throw .timeOutOfRange(field: field, milliseconds: milliseconds)
        }
        int64(milliseconds)
    }

    mutating func count(_ count: Int, limit: Int, field: String) throws(CommandLogError) {
        guard count <= limit else { throw .tooLong(field: field, length: count, limit: limit) }
        uint(UInt64(count), width: 4)
    }

    mutating func string(_ value: String, limit: Int, field: String) throws(CommandLogError) {
        let utf8 = value.utf8
        try count(utf8.count, limit: limit, field: field)
        bytes.append(contentsOf: utf8)
    }

    mutating func optionalString(_ value: String?, limit: Int, field: String) throws(CommandLogError) {
        guard let value else { return byte(0) }
        byte(1)
        try string(value, limit: limit, field: field)
    }

    private mutating func uint(_ value: UInt64, width: Int) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}

/// Reads the primitives back with bounds and limit checks; every failure names the
/// field it was reading. Owned by one decode call.
struct CommandLogReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func byte(_ field: String) throws(CommandLogError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(field: field) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func int32(_ field: String) throws(CommandLogError) -> Int32 {
        Int32(bitPattern: UInt32(truncatingIfNeeded: try uint(width: 4, field)))
    }

    mutating func int64(_ field: String) throws(CommandLogError) -> Int64 {
        Int64(bitPattern: try uint(width: 8, field))
    }

    mutating func uint64(_ field: String) throws(CommandLogError) -> UInt64 {
        try uint(width: 8, field)
    }

    /// An `Int` stored as 8 bytes (the engine runs on 64-bit hosts only).
    mutating func int(_ field: String) throws(CommandLogError) -> Int {
        Int(try int64(field))
    }

    mutating func time(_ field: String) throws(CommandLogError) -> Int64 {
        let ms = try int64(field)
        guard LoggedCommand.timeRange.contains(ms) else { throw .timeOutOfRange(field: field, milliseconds: ms) }
        return ms
    }

    mutating func count(limit: Int, _ field: String) throws(CommandLogError) -> Int {
        let n = Int(try uint(width: 4, field))
        guard n <= limit else { throw .tooLong(field: field, length: n, limit: limit) }
        return n
    }

    mutating func string(limit: Int, _ field: String) throws(CommandLogError) -> String {
        let n = try count(limit: limit, field)
        guard n <= remaining else { throw .truncated(field: field) }
        let slice = bytes[offset ..< offset + n]
        offset += n
        // Strict: no replacement characters, so what decodes re-encodes to these bytes.
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }

    mutating func optionalString(limit: Int, _ field: String) throws(CommandLogError) -> String? {
        switch try byte(field) {
        case 0: return nil
        case 1: return try string(limit: limit, field)
        case let other: throw .invalidValue(field: field, value: other)
        }
    }

    private mutating func uint(width: Int, _ field: String) throws(CommandLogError) -> UInt64 {
        guard remaining >= width else { throw .truncated(field: field) }
        var value: UInt64 = 0
        for _ in 0..<width {
            value = value << 8 | UInt64(bytes[offset])
            offset += 1
        }
        return value
    }
}
