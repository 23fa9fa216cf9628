/// Limits on what a request may make the server hold before it is answered.
public struct HTTPLimits: Sendable {
    /// Bytes in the request line (method, target, version); beyond it: 414.
    public var maxRequestLine: Int = 8 * 1024
    /// Bytes in the whole head (request line and header fields); beyond it: 431.
    public var maxHeaderBytes: Int = 16 * 1024
    /// Number of header fields; beyond it: 431.
    public var maxHeaderCount: Int = 100
    /// Bytes in a Content-Length body; beyond it: 413.
    public var maxBodyBytes: Int = 1024 * 1024

    public init() {}
}

/// Why a request was refused, and the status it is answered with.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: HTTPStatus
    public let reason: String

    public var description: String { "\(status): \(reason)" }

    static func bad(_ reason: String) -> HTTPParseError { HTTPParseError(status: .badRequest, reason: reason) }
}

/// A sans-I/O HTTP/1.1 request parser (RFC 9112): bytes in, requests out.
///
/// Feed it whatever arrived; it keeps the bytes of an unfinished request and answers
/// `.needMore` until the head (and body, if any) is complete. It is strict where
/// leniency has caused request smuggling: CRLF line endings only (a bare LF or CR is
/// refused as soon as it arrives), no obsolete line folding, no whitespace before the
/// colon, one Content-Length, no Transfer-Encoding, one valid Host (§3.2). Targets in
/// origin form, asterisk form and absolute form (§3.2.2) are read.
/// Owned by the connection's loop thread.
public struct HTTPRequestParser: Sendable {
    public enum Result: Sendable, Equatable {
        /// The request is incomplete; everything given was kept.
        case needMore
        /// A complete request. Bytes that followed it stay buffered: call `next()` for a
        /// pipelined request or `takeBuffered()` for WebSocket frames after an upgrade.
        case request(HTTPRequest)
        /// The request cannot be served; answer with `error.status` and close.
        case failure(HTTPParseError)
    }

    public let limits: HTTPLimits
    private var pending: [UInt8] = []
    /// Where to resume looking for the blank line that ends the head.
    private var scanFrom = 0
    private var head: HTTPRequest?
    private var bodyLength = 0

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Whether bytes of an unfinished request are held.
    public var isIdle: Bool { pending.isEmpty && head == nil }

    /// Adds `bytes` and returns the next complete request, if there is one.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> Result {
        pending.append(contentsOf: bytes)
        return next()
    }

    /// Returns the next complete request from bytes already given (a pipelined one).
    public mutating func next() -> Result {
        if head == nil {
            switch findHeadEnd() {
            case .needMore:
                return .needMore
            case .failure(let error):
                return .failure(error)
            case .found(let end):
                switch parseHead(end: end) {
                case .failure(let error): return .failure(error)
                case .success(let request):
                    head = request
                    pending.removeFirst(end)
                }
            }
        }
        guard pending.count >= bodyLength, var request = head else { return .needMore }
        request.body = Array(pending[0..<bodyLength])
        pending.removeFirst(bodyLength)
        scanFrom = 0
        head = nil
        bodyLength = 0
        return .request(request)
    }

    /// Hands over the bytes that followed the last request (after an upgrade, the first
    /// WebSocket frames) and leaves the parser empty.
    public mutating func takeBuffered() -> [UInt8] {
        defer { pending = []; scanFrom = 0 }
        return pending
    }

    private enum HeadEnd { case needMore, found(Int), failure(HTTPParseError) }

    /// Finds the CRLF CRLF that ends the head, enforcing the size limits on the way so
    /// that a client dribbling an endless head is refused as soon as it passes them.
    /// A bare LF or CR (RFC 9112 §2.2) is refused as soon as it is seen: a client that
    /// ends its lines with LF alone would otherwise never send what this waits for, and
    /// be answered only by the handshake timeout.
    private mutating func findHeadEnd() -> HeadEnd {
        let count = pending.count
        var index = scanFrom
        while index < count {
            let byte = pending[index]
            if byte == 10 {
                guard index > 0, pending[index - 1] == 13 else { return .failure(.bad("bare LF in request head")) }
                if index >= 3 && pending[index - 2] == 10 && pending[index - 3] == 13 { return .found(index + 1) }
            } else if byte == 13 && index + 1 < count && pending[index + 1] != 10 {
                return .failure(.bad("bare CR in request head"))
            }
            index += 1
        }
        // A CR that ends the bytes so far is looked at again with the byte after it.
        scanFrom = count > 0 && pending[count - 1] == 13 ? count - 1 : count
        // The request line's length excludes its CRLF, however the bytes arrived.
        var lineLength = pending.firstIndex(of: 10) ?? count
        if lineLength > 0 && pending[lineLength - 1] == 13 { lineLength -= 1 }
        if lineLength > limits.maxRequestLine {
            return .failure(HTTPParseError(status: .uriTooLong, reason: "request line too long"))
        }
        if count > limits.maxHeaderBytes {
            return .failure(HTTPParseError(status: .headerFieldsTooLarge, reason: "request head larger than \(limits.maxHeaderBytes) bytes"))
        }
        return .needMore
    }

    private mutating func parseHead(end: Int) -> Swift.Result<HTTPRequest, HTTPParseError> {
        // The request line's own limit first: a long target is a 414 whether or not it
        // also makes the whole head too large (which would be a 431).
        if let lineFeed = pending[0..<end].firstIndex(of: 10), lineFeed - 1 > limits.maxRequestLine {
            return .failure(HTTPParseError(status: .uriTooLong, reason: "request line too long"))
        }
        if end > limits.maxHeaderBytes {
            return .failure(HTTPParseError(status: .headerFieldsTooLarge, reason: "request head larger than \(limits.maxHeaderBytes) bytes"))
        }
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        let headBytes = pending[0..<(end - 2)]
        while index < headBytes.count {
            let byte = headBytes[index]
            if byte == 10 {
                guard index > start, headBytes[index - 1] == 13 else { return .failure(.bad("bare LF in request head")) }
                lines.append(headBytes[start..<(index - 1)])
                start = index + 1
            } else if byte == 13, index + 1 < headBytes.count, headBytes[index + 1] != 10 {
                return .failure(.bad("bare CR in request head"))
            }
            index += 1
        }
        guard let requestLine = lines.first else { return .failure(.bad("empty request")) }
        if requestLine.count > limits.maxRequestLine {
            return .failure(HTTPParseError(status: .uriTooLong, reason: "request line too long"))
        }
        var request: HTTPRequest
        switch Self.parseRequestLine(requestLine) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): request = parsed
        }
        if lines.count - 1 > limits.maxHeaderCount {
            return .failure(HTTPParseError(status: .headerFieldsTooLarge, reason: "more than \(limits.maxHeaderCount) header fields"))
        }
        for line in lines.dropFirst() {
            switch Self.parseField(line) {
            case .failure(let error): return .failure(error)
            case .success(let field): request.headers.append(field)
            }
        }
        if request.header("Transfer-Encoding") != nil {
            return .failure(HTTPParseError(status: .notImplemented, reason: "Transfer-Encoding is not supported; send Content-Length"))
        }
        let lengths = request.headers.filter { $0.name.lowercased() == "content-length" }
        if lengths.count > 1 { return .failure(.bad("more than one Content-Length")) }
        if let length = lengths.first {
            guard !length.value.isEmpty, length.value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), length.value.utf8.count <= 12,
                  let value = Int(length.value) else {
                return .failure(.bad("invalid Content-Length"))
            }
            if value > limits.maxBodyBytes {
                return .failure(HTTPParseError(status: .contentTooLarge, reason: "body larger than \(limits.maxBodyBytes) bytes"))
            }
            bodyLength = value
        }
        // §3.2: 400 for an HTTP/1.1 request without Host, and for any request with more
        // than one Host field line or a Host that is not `host[:port]`. An absolute-form
        // target's authority then overrides it (§3.2.2), but the field is still checked.
        let hosts = request.headers.filter { $0.name.lowercased() == "host" }
        if hosts.count > 1 { return .failure(.bad("more than one Host")) }
        if let host = hosts.first, !Authority.isValid(ArraySlice(host.value.utf8), requireHost: false) {
            return .failure(.bad("invalid Host"))
        }
        if request.minorVersion == 1 && hosts.isEmpty {
            return .failure(.bad("missing Host header"))
        }
        return .success(request)
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3).
    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Swift.Result<HTTPRequest, HTTPParseError> {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(.bad("malformed request line")) }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.allSatisfy(isTokenByte) else { return .failure(.bad("invalid method")) }
        // Visible ASCII only, and no fragment: `#` never belongs to a request target (§3.2).
        guard !target.isEmpty, target.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "#") }) else {
            return .failure(.bad("invalid request target"))
        }
        var originForm = target
        var authority: String?
        if target.first == UInt8(ascii: "/") || target.elementsEqual([UInt8(ascii: "*")]) {
            // origin-form (§3.2.1) or asterisk-form (§3.2.4)
        } else if let absolute = absoluteForm(target) {
            originForm = absolute.pathAndQuery
            authority = String(decoding: absolute.authority, as: UTF8.self)
        } else {
            return .failure(.bad("invalid request target"))
        }
        let prefix = Array("HTTP/".utf8)
        guard version.count == 8, version.prefix(5).elementsEqual(prefix),
              let major = digit(version[version.startIndex + 5]), version[version.startIndex + 6] == UInt8(ascii: "."),
              let minor = digit(version[version.startIndex + 7]) else {
            return .failure(.bad("invalid HTTP version"))
        }
        guard major == 1, minor <= 1 else {
            return .failure(HTTPParseError(status: .versionNotSupported, reason: "only HTTP/1.0 and HTTP/1.1 are served"))
        }
        let path = originForm.first == UInt8(ascii: "?") || originForm.isEmpty ? "/" : ""
        return .success(HTTPRequest(method: String(decoding: method, as: UTF8.self),
                                    target: path + String(decoding: originForm, as: UTF8.self),
                                    minorVersion: minor, authority: authority))
    }

    /// `absolute-form = absolute-URI` (§3.2.2) for the schemes a server of `http` and
    /// `https` answers: `http://authority[/path][?query]`, the scheme in any case. The
    /// authority must name a host and carry no userinfo (RFC 9110 §4.2.1, §4.2.4).
    private static func absoluteForm(_ target: ArraySlice<UInt8>) -> (authority: ArraySlice<UInt8>, pathAndQuery: ArraySlice<UInt8>)? {
        let separator = Array("://".utf8)
        guard let colon = target.firstIndex(of: UInt8(ascii: ":")),
              target[colon...].starts(with: separator) else { return nil }
        let scheme = String(decoding: target[..<colon], as: UTF8.self).lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = target[(colon + separator.count)...]
        let end = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? rest.endIndex
        let authority = rest[..<end]
        guard !authority.contains(UInt8(ascii: "@")), Authority.isValid(authority, requireHost: true) else { return nil }
        return (authority, rest[end...])
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5).
    private static func parseField(_ line: ArraySlice<UInt8>) -> Swift.Result<(name: String, value: String), HTTPParseError> {
        guard let first = line.first else { return .failure(.bad("empty header line")) }
        if first == 32 || first == 9 { return .failure(.bad("obsolete line folding is not accepted")) }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return .failure(.bad("header line without a colon")) }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else { return .failure(.bad("invalid header name")) }
        var value = line[(colon + 1)...]
        while let byte = value.first, byte == 32 || byte == 9 { value.removeFirst() }
        while let byte = value.last, byte == 32 || byte == 9 { value.removeLast() }
        // Field values: visible ASCII, SP, HTAB and obs-text; no other control bytes.
        guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
            return .failure(.bad("control character in header value"))
        }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= 48 && byte <= 57 ? Int(byte - 48) : nil
    }

    /// tchar (RFC 9110 §5.6.2).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
