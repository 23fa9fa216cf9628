/// The bytes of a configuration file checked as TOML text (TOML 1.0: a document is
/// UTF-8; a newline is LF or CRLF; no raw control character but tab appears anywhere)
/// before the TOML reader sees them, so that what is not text stops the start with the
/// line and column where it is. It matters beyond the message: the TOML reader takes a
/// C string and stops silently at a NUL, so whatever followed one — an origin
/// allowlist — was never read. Stateless.
enum ConfigurationText {
    /// The text of `bytes`, or where (line, column in characters) and why it is not
    /// TOML text.
    static func decode(_ bytes: [UInt8]) throws(ConfigurationError) -> String {
        var line = 1, column = 0
        var offset = 0
        var carriageReturn: (line: Int, column: Int)?
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .emptyInput:
                if let cr = carriageReturn { throw bareCarriageReturn(cr) }
                return String(decoding: bytes, as: UTF8.self)
            case .error:
                throw ConfigurationError(line: line, column: column + 1, key: nil,
                                         reason: "not UTF-8: the byte 0x\(hex(bytes[offset])) starts no valid sequence; save the file as UTF-8")
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                column += 1
                if let cr = carriageReturn {
                    guard scalar == "\n" else { throw bareCarriageReturn(cr) }
                    carriageReturn = nil
                }
                switch scalar.value {
                case 0x0A:
                    line += 1
                    column = 0
                case 0x0D:
                    carriageReturn = (line, column)
                case 0x09:
                    break
                case 0x00..<0x20, 0x7F:
                    throw ConfigurationError(line: line, column: column, key: nil,
                                             reason: "control character U+\(hex(scalar.value, width: 4)) is not allowed in TOML (write it as an escape inside a string)")
                default:
                    break
                }
            }
        }
    }

    private static func bareCarriageReturn(_ at: (line: Int, column: Int)) -> ConfigurationError {
        ConfigurationError(line: at.line, column: at.column, key: nil,
                           reason: "a CR (U+000D) not followed by LF: lines end with LF or CRLF in TOML")
    }

    private static func hex(_ value: some BinaryInteger, width: Int = 2) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
