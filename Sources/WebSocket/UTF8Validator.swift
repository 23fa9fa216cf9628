/// An incremental UTF-8 validator (RFC 3629 §4) that fails at the first bad byte.
///
/// Text messages arrive in fragments and fragments in pieces; RFC 6455 §8.1 asks the
/// endpoint to fail the connection as soon as it sees invalid UTF-8, so the state
/// carries over between calls. ASCII, the common case in chat, is checked 8 bytes at
/// a time. A value owned by the connection that reads the message.
public struct UTF8Validator: Sendable {
    /// 0: between characters. Otherwise: how many continuation bytes are still due,
    /// and (for the first of them) the narrower range that rules out overlong forms,
    /// surrogates and code points past U+10FFFF.
    private var remaining: UInt8 = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// True when the bytes so far end on a character boundary.
    @inline(__always) public var isComplete: Bool { remaining == 0 }

    public mutating func reset() {
        remaining = 0
        lower = 0x80
        upper = 0xBF
    }

    /// Feeds `bytes`; returns false at the first byte that cannot be valid UTF-8.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            if remaining == 0 {
                // Fast path: skip 8 ASCII bytes at a time.
                while index + 8 <= count {
                    let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    index += 8
                }
                if index == count { break }
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                index += 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: remaining = 1; lower = 0x80; upper = 0xBF
                case 0xE0: remaining = 2; lower = 0xA0; upper = 0xBF
                case 0xE1...0xEC, 0xEE...0xEF: remaining = 2; lower = 0x80; upper = 0xBF
                case 0xED: remaining = 2; lower = 0x80; upper = 0x9F
                case 0xF0: remaining = 3; lower = 0x90; upper = 0xBF
                case 0xF1...0xF3: remaining = 3; lower = 0x80; upper = 0xBF
                case 0xF4: remaining = 3; lower = 0x80; upper = 0x8F
                default: return false
                }
            } else {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                guard byte >= lower && byte <= upper else { return false }
                index += 1
                remaining -= 1
                lower = 0x80
                upper = 0xBF
            }
        }
        return true
    }

    /// Validates a whole message at once.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }
}
