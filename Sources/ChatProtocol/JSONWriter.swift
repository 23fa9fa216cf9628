/// Writes compact JSON (RFC 8259) into a byte array: objects, arrays, strings with
/// the minimal escapes, integers and finite doubles. Callers write well-nested
/// containers; commas are placed by the writer. A value used for one message.
struct JSONWriter {
    var bytes: [UInt8]
    /// True right after a container opened: the next member needs no comma.
    private var atStart = true

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: Containers

    mutating func beginObject() { bytes.append(UInt8(ascii: "{")); atStart = true }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); atStart = false }
    mutating func beginArray() { bytes.append(UInt8(ascii: "[")); atStart = true }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); atStart = false }

    /// Starts an object member: the comma if needed, the key and the colon.
    mutating func key(_ name: String) {
        separate()
        writeString(name)
        bytes.append(UInt8(ascii: ":"))
        atStart = true  // the value that follows needs no comma of its own
    }

    /// Before an array element.
    mutating func element() { separate() }

    private mutating func separate() {
        if !atStart { bytes.append(UInt8(ascii: ",")) }
        atStart = false
    }

    // MARK: Members

    mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    mutating func field(_ name: String, _ value: Int64) { key(name); integer(value) }
    mutating func field(_ name: String, _ value: Int) { key(name); integer(Int64(value)) }
    mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }
    mutating func field(_ name: String, _ value: Double) { key(name); double(value) }
    mutating func field<E: RawRepresentable>(_ name: String, _ value: E) where E.RawValue == String {
        key(name); string(value.rawValue)
    }
    mutating func field<E: RawRepresentable>(_ name: String, _ value: E?) where E.RawValue == String {
        if let value { field(name, value) }
    }
    mutating func field(_ name: String, _ value: String?) { if let value { field(name, value) } }
    mutating func field(_ name: String, _ value: Int64?) { if let value { field(name, value) } }
    mutating func field(_ name: String, _ value: Bool?) { if let value { field(name, value) } }
    mutating func field(_ name: String, _ value: Double?) { if let value { field(name, value) } }

    // MARK: Scalars

    mutating func string(_ s: String) {
        atStart = false
        writeString(s)
    }

    mutating func integer(_ v: Int64) {
        atStart = false
        // Decimal digits written from the right into a stack buffer (no String).
        var magnitude = v.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = 0x30 + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if v < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Bytes that are already a JSON value (a number's literal, `null`).
    mutating func raw(_ literal: String) {
        atStart = false
        bytes.append(contentsOf: literal.utf8)
    }

    mutating func bool(_ v: Bool) {
        atStart = false
        if v {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])  // true
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])  // false
        }
    }

    /// A finite double in Swift's shortest round-trip form, which is valid JSON;
    /// NaN and infinities (never valid here) are written as 0.
    mutating func double(_ v: Double) {
        atStart = false
        guard v.isFinite else { bytes.append(UInt8(ascii: "0")); return }
        // Whole values as integers ("1", not "1.0"), tested by a truncating conversion
        // (rounding functions would pull in libm).
        if v > -1e15 && v < 1e15, Double(Int64(v)) == v {
            integer(Int64(v))
            return
        }
        bytes.append(contentsOf: v.description.utf8)
    }

    /// A JSON string: runs of bytes that need no escape are copied whole (most text
    /// has none, and a byte-at-a-time append costs a uniqueness check per byte).
    private mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for i in utf8.indices {
            let b = utf8[i]
            // Multi-byte UTF-8 is all ≥ 0x80, so only ASCII can need an escape.
            if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") { continue }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            appendEscape(of: b)
            runStart = i + 1
        }
        if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
    }

    private mutating func appendEscape(of b: UInt8) {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
        case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            let digits = hex.utf8Start
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, digits[Int(b >> 4)], digits[Int(b & 0xF)]])
        }
    }
}
