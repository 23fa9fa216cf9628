import ChatServer
import HTTP

/// libFuzzer entry point for the HTTP request parser. The input is split in two at a
/// point taken from its first byte, so requests arriving in pieces are exercised too.
/// Every outcome is acceptable except a crash, a hang or unbounded memory. Each request
/// parsed also goes through the transcript route's own parsers (path, Authorization,
/// conversation id), with the properties they promise checked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard size > 0 else { return 0 }
    var limits = HTTPLimits()
    limits.maxHeaderBytes = 4096
    limits.maxRequestLine = 1024
    limits.maxBodyBytes = 4096
    var parser = HTTPRequestParser(limits: limits)
    let split = Int(bytes[0]) % size
    for piece in [UnsafeRawBufferPointer(rebasing: bytes[1..<max(1, split)]), UnsafeRawBufferPointer(rebasing: bytes[max(1, split)...])] {
        var result = parser.parse(piece)
        var rounds = 0
        while case .request(let request) = result, rounds < 64 {
            _ = request.keepAlive
            _ = request.path
            requestProperties(request)
            _ = request.headerTokens("Connection")
            _ = request.ifNoneMatch("\"5d7f3d98754ae799\"")
            transcriptParsers(request)
            result = parser.next()
            rounds += 1
        }
        if case .failure = result { return 0 }
    }
    return 0
}

/// What the parser promises of every request it returns (RFC 9112 §3.2): routes see
/// origin form (an absolute-form target reduced to its path and query, its authority
/// kept, non-empty and without userinfo), and at most one Host field.
private func requestProperties(_ request: HTTPRequest) {
    precondition(request.target == "*" || request.target.hasPrefix("/"), "target \(request.target) is not in origin form")
    precondition(!request.target.contains("#"), "a fragment in the target")
    if let authority = request.authority {
        precondition(!authority.isEmpty && !authority.contains("@"), "authority \(authority)")
        precondition(request.host == authority, "the absolute form's authority is the host")
    }
    precondition(request.headers.filter { $0.name.lowercased() == "host" }.count <= 1, "more than one Host")
    if request.minorVersion == 1 { precondition(request.host != nil, "HTTP/1.1 without a host") }
}

/// The transcript route's parsers on a request's path and Authorization header.
private func transcriptParsers(_ request: HTTPRequest) {
    if let (conversation, _) = TranscriptPath.parse(request.path) {
        precondition(!conversation.isEmpty && conversation.utf8.count <= 64, "conversation id out of bounds")
        // An id that parses prints back to itself: one text, one conversation.
        if let key = WireID.conversation(conversation) {
            precondition("c-\(key.boot)-\(key.number)" == conversation, "\(conversation) does not round-trip")
        }
    }
    switch TranscriptPath.credentials(request.header("Authorization")) {
    case .basic(let login, _): precondition(!login.isEmpty && !login.utf8.contains(UInt8(ascii: ":")))
    case .bearer(let token): precondition(!token.isEmpty && token.utf8.count <= 256)
    case .missing: break
    }
}
