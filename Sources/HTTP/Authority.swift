/// The syntax of `uri-host [ ":" port ]` (RFC 3986 §3.2.2–3.2.3), which is what a
/// `Host` field holds (RFC 9112 §3.2) and what follows `http://` in an absolute-form
/// request target (§3.2.2). Userinfo (`user@`) is not part of it: RFC 9110 §4.2.4 has
/// recipients treat it as an error. Stateless.
enum Authority {
    /// Whether `bytes` is a host and an optional port. `requireHost`: an empty host is
    /// refused (an `http` URI must name one, RFC 9110 §4.2.1); a `Host` field may be
    /// empty (RFC 9112 §3.2, for a target URI without an authority).
    static func isValid(_ bytes: ArraySlice<UInt8>, requireHost: Bool) -> Bool {
        var rest = bytes
        if rest.first == UInt8(ascii: "[") {
            guard let close = rest.firstIndex(of: UInt8(ascii: "]")),
                  isIPLiteral(rest[(rest.startIndex + 1)..<close]) else { return false }
            rest = rest[(close + 1)...]
            return rest.isEmpty || (rest.first == UInt8(ascii: ":") && isPort(rest.dropFirst()))
        }
        let colon = rest.firstIndex(of: UInt8(ascii: ":")) ?? rest.endIndex
        let host = rest[..<colon]
        guard isRegName(host), !(requireHost && host.isEmpty) else { return false }
        return colon == rest.endIndex || isPort(rest[(colon + 1)...])
    }

    /// `port = *DIGIT`, and (as a port number must be) at most 65535.
    private static func isPort(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count <= 5, bytes.allSatisfy(isDigit) else { return false }
        return bytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 65_535
    }

    /// `reg-name = *( unreserved / pct-encoded / sub-delims )`; IPv4 addresses are
    /// reg-names too as far as syntax goes.
    private static func isRegName(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex, isHexDigit(bytes[index + 1]), isHexDigit(bytes[index + 2]) else { return false }
                index += 3
                continue
            }
            guard isUnreserved(byte) || isSubDelimiter(byte) else { return false }
            index += 1
        }
        return true
    }

    /// `IP-literal = "[" ( IPv6address / IPvFuture ) "]"`, inside the brackets. IPv6 is
    /// checked for its alphabet (hex digits, colons, dots of an embedded IPv4) and at
    /// least one colon, not for the exact count of groups: enough to keep anything that
    /// is not an address out, without a second IPv6 parser.
    private static func isIPLiteral(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "v") || first == UInt8(ascii: "V") {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            let body = bytes.dropFirst()
            guard let dot = body.firstIndex(of: UInt8(ascii: ".")), dot > body.startIndex,
                  body[..<dot].allSatisfy(isHexDigit), dot + 1 < body.endIndex else { return false }
            return body[(dot + 1)...].allSatisfy { isUnreserved($0) || isSubDelimiter($0) || $0 == UInt8(ascii: ":") }
        }
        return bytes.count >= 2 && bytes.contains(UInt8(ascii: ":"))
            && bytes.allSatisfy { isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    /// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }

    /// `sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="`
    private static func isSubDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
