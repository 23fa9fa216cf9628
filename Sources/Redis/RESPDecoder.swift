/// Limits on what a reply may hold, so that a broken or hostile server cannot make
/// the client allocate without bound. Past a limit the decoder fails (the connection
/// is then closed and opened again).
public struct RESPLimits: Sendable, Equatable {
    /// Longest bulk string (Redis's own `proto-max-bulk-len` default is 512 MiB).
    public var maxBulkLength = 64 * 1024 * 1024
    /// Most elements in one array.
    public var maxArrayCount = 1 << 20
    /// Deepest nesting of arrays (stream replies nest four deep).
    public var maxDepth = 16
    /// Longest status, error or number line.
    public var maxLineLength = 64 * 1024

    public init() {}
}

/// Why bytes are not RESP2. The connection cannot be read on after one.
public struct RESPError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { "bad reply from Redis: \(reason)" }
}

/// A sans-I/O RESP2 reply decoder: bytes in (`append`), whole values out (`next`),
/// nil for "need more data". Resumable: a reply split over many reads is parsed as
/// it arrives, never from its start again, and consumed bytes are dropped. A value
/// owned by one connection on its loop thread.
public struct RESPDecoder: Sendable {
    public let limits: RESPLimits
    private var buffer: [UInt8] = []
    private var position = 0
    /// Arrays whose elements are still arriving, innermost last.
    private var open: [(remaining: Int, elements: [RESPValue])] = []

    public init(limits: RESPLimits = RESPLimits()) {
        self.limits = limits
    }

    /// Bytes held that are not yet part of a returned value.
    public var bufferedCount: Int { buffer.count - position }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 64 * 1024 && position * 2 > buffer.count {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next whole value, nil when more bytes are needed.
    public mutating func next() throws(RESPError) -> RESPValue? {
        while true {
            guard var value = try item() else { return nil }
            // Fold the finished value into the arrays it completes.
            while !open.isEmpty {
                open[open.count - 1].elements.append(value)
                open[open.count - 1].remaining -= 1
                guard open[open.count - 1].remaining == 0 else { break }
                value = .array(open.removeLast().elements)
            }
            if open.isEmpty { return value }
        }
    }

    /// One scalar value, or an array header (pushed onto `open`, then nil-free: loops
    /// on). Returns nil when the item is incomplete; nothing of it is consumed then.
    private mutating func item() throws(RESPError) -> RESPValue? {
        while true {
            guard position < buffer.count else { return nil }
            let type = buffer[position]
            guard let (line, next) = try self.line(from: position + 1) else { return nil }
            switch type {
            case UInt8(ascii: "+"):
                position = next
                return .simple(String(decoding: line, as: UTF8.self))
            case UInt8(ascii: "-"):
                position = next
                return .error(String(decoding: line, as: UTF8.self))
            case UInt8(ascii: ":"):
                let value = try Self.decimal(line)
                position = next
                return .integer(value)
            case UInt8(ascii: "$"):
                let length = try Self.decimal(line)
                if length == -1 {
                    position = next
                    return .bulk(nil)
                }
                guard length >= 0 else { throw RESPError(reason: "bulk length \(length)") }
                guard length <= limits.maxBulkLength else {
                    throw RESPError(reason: "bulk string of \(length) bytes is over the limit of \(limits.maxBulkLength)")
                }
                let end = next + Int(length)
                guard end + 2 <= buffer.count else { return nil }
                guard buffer[end] == 13, buffer[end + 1] == 10 else {
                    throw RESPError(reason: "bulk string not followed by CRLF")
                }
                position = end + 2
                return .bulk(Array(buffer[next..<end]))
            case UInt8(ascii: "*"):
                let count = try Self.decimal(line)
                if count == -1 {
                    position = next
                    return .array(nil)
                }
                guard count >= 0 else { throw RESPError(reason: "array count \(count)") }
                guard count <= limits.maxArrayCount else {
                    throw RESPError(reason: "array of \(count) elements is over the limit of \(limits.maxArrayCount)")
                }
                position = next
                if count == 0 { return .array([]) }
                guard open.count < limits.maxDepth else {
                    throw RESPError(reason: "arrays nested deeper than \(limits.maxDepth)")
                }
                var elements: [RESPValue] = []
                elements.reserveCapacity(min(Int(count), 1024))
                open.append((Int(count), elements))
            default:
                throw RESPError(reason: "unknown type byte 0x\(String(type, radix: 16))")
            }
        }
    }

    /// The bytes from `start` up to CRLF, and the index after it; nil if no CRLF yet.
    private func line(from start: Int) throws(RESPError) -> (ArraySlice<UInt8>, Int)? {
        var index = start
        let limit = min(buffer.count, start + limits.maxLineLength + 2)
        while index < limit {
            if buffer[index] == 13 {
                guard index + 1 < buffer.count else { return nil }
                guard buffer[index + 1] == 10 else { throw RESPError(reason: "CR not followed by LF") }
                return (buffer[start..<index], index + 2)
            }
            if buffer[index] == 10 { throw RESPError(reason: "LF without CR") }
            index += 1
        }
        if buffer.count >= start + limits.maxLineLength + 2 {
            throw RESPError(reason: "line longer than \(limits.maxLineLength) bytes")
        }
        return nil
    }

    /// A signed decimal as RESP writes it: an optional minus, then digits.
    static func decimal(_ line: ArraySlice<UInt8>) throws(RESPError) -> Int64 {
        var digits = line[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 19 else {
            throw RESPError(reason: "not a number: \(String(decoding: line.prefix(32), as: UTF8.self))")
        }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw RESPError(reason: "not a number: \(String(decoding: line.prefix(32), as: UTF8.self))")
            }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw RESPError(reason: "number out of range") }
            value = sum
        }
        return negative ? -value : value
    }
}
