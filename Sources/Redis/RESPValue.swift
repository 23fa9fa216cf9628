/// One reply (or request) in RESP2, the Redis serialization protocol
/// (https://redis.io/docs/reference/protocol-spec/). RESP3 types are not accepted:
/// the client never sends `HELLO 3`, so a server speaks RESP2 to it.
public enum RESPValue: Sendable, Hashable {
    /// `+OK` — a status line (no CR or LF inside).
    case simple(String)
    /// `-ERR …` — an error reply; the first word is its kind (ERR, WRONGTYPE, NOSCRIPT…).
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$3 foo`; nil is the null bulk string `$-1` (a missing key).
    case bulk([UInt8]?)
    /// `*2 …`; nil is the null array `*-1` (e.g. a blocking read that timed out).
    case array([RESPValue]?)

    /// The reply's text when it is a status or a bulk string (bulk bytes read as UTF-8).
    public var text: String? {
        switch self {
        case .simple(let text): return text
        case .bulk(let bytes?): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }

    /// The reply as an integer: an integer reply, or a bulk string of decimal digits
    /// (Lua scripts and GET hand numbers back as either).
    public var integer: Int64? {
        switch self {
        case .integer(let value): return value
        case .bulk(let bytes?): return Int64(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    public var isNull: Bool {
        switch self {
        case .bulk(nil), .array(nil): return true
        default: return false
        }
    }

    /// The RESP2 bytes of this value (a test's fake server answers with these).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    public func append(to out: inout [UInt8]) {
        switch self {
        case .simple(let text):
            out.append(UInt8(ascii: "+")); out += text.utf8; out += RESP.crlf
        case .error(let text):
            out.append(UInt8(ascii: "-")); out += text.utf8; out += RESP.crlf
        case .integer(let value):
            out.append(UInt8(ascii: ":")); RESP.appendDecimal(value, to: &out); out += RESP.crlf
        case .bulk(nil):
            out += Array("$-1\r\n".utf8)
        case .bulk(let bytes?):
            RESP.appendBulk(bytes, to: &out)
        case .array(nil):
            out += Array("*-1\r\n".utf8)
        case .array(let elements?):
            RESP.appendHeader(UInt8(ascii: "*"), elements.count, to: &out)
            for element in elements { element.append(to: &out) }
        }
    }
}

/// Byte-level pieces shared by the encoder and the decoder.
enum RESP {
    static let crlf: [UInt8] = [13, 10]

    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }

    static func appendHeader(_ type: UInt8, _ count: Int, to out: inout [UInt8]) {
        out.append(type)
        appendDecimal(Int64(count), to: &out)
        out += crlf
    }

    static func appendBulk<Bytes: Collection<UInt8>>(_ bytes: Bytes, to out: inout [UInt8]) {
        appendHeader(UInt8(ascii: "$"), bytes.count, to: &out)
        out += bytes
        out += crlf
    }
}
