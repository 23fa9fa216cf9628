/// A strict, bounded JSON reader (RFC 8259) over bytes: exactly one object, no
/// duplicate keys, no lone surrogates, depth at most `ProtocolLimits.maxDepth`,
/// valid UTF-8 throughout. Anything else is `invalid_json`; it never traps, so it is
/// safe on arbitrary input (see the `FuzzProtocol` target). A value used for one call.
struct JSONReader {
    private let bytes: UnsafeRawBufferPointer
    /// Whether the caller vouches that `bytes` are valid UTF-8 (`UTF8Assurance`).
    private let validatedUTF8: Bool
    private var index = 0
    private var depth = 0
    /// Reused for strings with escapes.
    private var scratch: [UInt8] = []

    private init(_ bytes: UnsafeRawBufferPointer, utf8: UTF8Assurance = .unchecked) {
        self.bytes = bytes
        validatedUTF8 = utf8 == .validated
    }

    /// The one JSON object that `bytes` holds.
    static func object(from bytes: UnsafeRawBufferPointer, utf8: UTF8Assurance = .unchecked) throws(ProtocolError) -> JSONObject {
        var reader = JSONReader(bytes, utf8: utf8)
        reader.skipWhitespace()
        guard reader.peek() == UInt8(ascii: "{") else {
            throw .invalidJSON("a message is one JSON object")
        }
        guard case .object(let object) = try reader.value() else { fatalError("unreachable: '{' starts an object") }
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw .invalidJSON("data after the JSON object at byte \(reader.index)") }
        return object
    }

    /// Any JSON value, for tests and for decoding server messages.
    static func value(from bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> JSONValue {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        let value = try reader.value()
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw .invalidJSON("data after the JSON value at byte \(reader.index)") }
        return value
    }

    // MARK: - Grammar

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func unexpected() -> ProtocolError {
        guard let byte = peek() else { return .invalidJSON("the JSON text ends too early") }
        if byte >= 0x21 && byte < 0x7F {
            return .invalidJSON("unexpected '\(Character(Unicode.Scalar(byte)))' at byte \(index)")
        }
        return .invalidJSON("unexpected byte 0x\(String(byte, radix: 16)) at byte \(index)")
    }

    private mutating func value() throws(ProtocolError) -> JSONValue {
        guard let byte = peek() else { throw unexpected() }
        switch byte {
        case UInt8(ascii: "{"): return .object(try object())
        case UInt8(ascii: "["): return .array(try array())
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw unexpected()
        }
    }

    private mutating func literal(_ word: StaticString) throws(ProtocolError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw .invalidJSON("the JSON text ends too early") }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] { throw .invalidJSON("bad literal at byte \(index)") }
        index += count
    }

    private mutating func enter() throws(ProtocolError) {
        depth += 1
        guard depth <= ProtocolLimits.maxDepth else {
            throw .invalidJSON("nested deeper than \(ProtocolLimits.maxDepth) levels")
        }
    }

    private mutating func object() throws(ProtocolError) -> JSONObject {
        try enter()
        index += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        var keys: Set<String> = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return JSONObject(members: members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpected() }
            let key = try string()
            // Linear for the few fields of a message; a set once objects grow.
            if members.count < 16 {
                if members.contains(where: { $0.key == key }) { throw .invalidJSON("duplicate key '\(key)'") }
            } else {
                if keys.isEmpty { keys = Set(members.map(\.key)) }
                guard keys.insert(key).inserted else { throw .invalidJSON("duplicate key '\(key)'") }
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw unexpected() }
            index += 1
            skipWhitespace()
            members.append((key, try value()))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return JSONObject(members: members)
            default: throw unexpected()
            }
        }
    }

    private mutating func array() throws(ProtocolError) -> [JSONValue] {
        try enter()
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try value())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return elements
            default: throw unexpected()
            }
        }
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func number() throws(ProtocolError) -> JSONNumber {
        let start = index
        var negative = false
        var significand: [UInt8] = []
        var fractionDigits = 0
        if peek() == UInt8(ascii: "-") { negative = true; index += 1 }
        guard let first = peek(), isDigit(first) else { throw .invalidJSON("bad number at byte \(start)") }
        if first == UInt8(ascii: "0") {
            index += 1
            significand.append(0)
            if let next = peek(), isDigit(next) { throw .invalidJSON("a number with a leading zero at byte \(start)") }
        } else {
            while let d = peek(), isDigit(d) { significand.append(d &- 0x30); index += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let d = peek(), isDigit(d) else { throw .invalidJSON("bad fraction at byte \(index)") }
            while let d = peek(), isDigit(d) { significand.append(d &- 0x30); fractionDigits += 1; index += 1 }
        }
        var exponent = 0
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if peek() == UInt8(ascii: "+") { index += 1 } else if peek() == UInt8(ascii: "-") { exponentNegative = true; index += 1 }
            guard let d = peek(), isDigit(d) else { throw .invalidJSON("bad exponent at byte \(index)") }
            while let d = peek(), isDigit(d) {
                // Saturate: beyond a million the value is out of every range anyway.
                exponent = min(exponent * 10 + Int(d &- 0x30), 1_000_000)
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        return JSONNumber(literal: literal, negative: negative, significand: significand,
                          fractionDigits: fractionDigits, exponent: exponent)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private mutating func string() throws(ProtocolError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if validatedUTF8 { return Self.string(alreadyValidated: raw.assumingMemoryBound(to: UInt8.self)) }
                guard let s = String(validating: raw, as: UTF8.self) else { throw .invalidJSON("invalid UTF-8 in a string") }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw .invalidJSON("a control character in a string at byte \(index)") }
            index += 1
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                if validatedUTF8 { return scratch.withUnsafeBufferPointer { Self.string(alreadyValidated: $0) } }
                guard let s = String(validating: scratch, as: UTF8.self) else { throw .invalidJSON("invalid UTF-8 in a string") }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                try escape()
            case 0..<0x20:
                throw .invalidJSON("a control character in a string at byte \(index)")
            default:
                scratch.append(b)
                index += 1
            }
        }
        throw .invalidJSON("a string is not closed")
    }

    /// A string from bytes known to be valid UTF-8, without checking them again. Sound
    /// only because the whole message was validated (RFC 6455 §8.1: the WebSocket layer
    /// fails a text message that is not UTF-8 with 1007) and a string's bytes lie
    /// between two ASCII quotes, so they are whole sequences; what escapes add is
    /// encoded by `appendUTF8` from scalars that are never surrogates.
    private static func string(alreadyValidated utf8: UnsafeBufferPointer<UInt8>) -> String {
        if #available(macOS 26, *) {
            return String(copying: UTF8Span(unchecked: utf8.span))
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    private mutating func escape() throws(ProtocolError) {
        guard let e = peek() else { throw .invalidJSON("the JSON text ends too early") }
        index += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw .invalidJSON("a lone surrogate escape")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw .invalidJSON("a lone surrogate escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw .invalidJSON("a lone surrogate escape")
            }
            appendUTF8(scalar)
        default:
            throw .invalidJSON("a bad escape '\\\(Character(Unicode.Scalar(e)))'")
        }
    }

    /// Appends a scalar value (never a surrogate, at most 0x10FFFF) as UTF-8.
    private mutating func appendUTF8(_ v: UInt32) {
        switch v {
        case 0..<0x80:
            scratch.append(UInt8(v))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | v >> 6)); scratch.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | v >> 12)); scratch.append(UInt8(0x80 | v >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | v & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | v >> 18)); scratch.append(UInt8(0x80 | v >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | v >> 6 & 0x3F)); scratch.append(UInt8(0x80 | v & 0x3F))
        }
    }

    private mutating func hex4() throws(ProtocolError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw .invalidJSON("a short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - 0x30
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - 0x61 + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - 0x41 + 10
            default: throw .invalidJSON("a bad \\u escape at byte \(index)")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
