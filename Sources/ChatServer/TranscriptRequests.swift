import ChatProtocol
import EventLoop
import HTTP
import Posix
import WebSocketServer

/// A transcript read-back request as the domain thread answers it: which conversation,
/// in which format, for whom. A plain value handed from an I/O loop to the domain.
struct TranscriptQuery: Sendable {
    enum Reader: Sendable {
        /// An agent or supervisor whose secret the sign-in thread verified.
        case staff
        /// A customer's session token (Bearer).
        case customer(token: String)
    }

    /// What the request asks (protocol/README.md, "Records and a customer's rights").
    enum Action: Sendable, Equatable {
        /// The transcript in `format`.
        case read
        /// Everything held about the customer session the conversation belongs to (staff).
        case subject
        /// Erase the customer's text in the conversation (staff `login`).
        case erase(login: String)
    }

    let conversation: String
    let format: TranscriptExport.Format
    let reader: Reader
    var action = Action.read
}

/// A connection waiting for a deferred answer, held weakly: if it closes first, the
/// answer finds nothing. Touched on its loop only.
struct WeakConnection {
    weak var connection: ServerConnection<ChatEndpoints>?
}

// The transcript endpoints on the I/O loop (protocol/README.md, "Transcript read-back"):
// `GET /v1/conversations/{id}/transcript` (JSON), `.../transcript.txt`, `.../transcript.html`,
// with CORS for the listed origins only. Credentials are checked where they belong —
// staff secrets on the sign-in thread (PBKDF2 must not stall an I/O loop), session
// tokens on the domain thread — and the answer comes back through `Route.deferred`.
extension ChatEndpoints {
    /// The route for a transcript path, or nil for any other path.
    func routeTranscript(_ request: HTTPRequest, connection: ServerConnection<ChatEndpoints>) -> Route? {
        let conversation: String
        let format: TranscriptExport.Format
        let rights: TranscriptPath.Right?
        if let (id, f) = TranscriptPath.parse(request.path) {
            (conversation, format, rights) = (id, f, nil)
        } else if let (id, right) = TranscriptPath.parseRight(request.path) {
            (conversation, format, rights) = (id, .json, right)
        } else {
            return nil
        }
        if let rights {
            // Staff only, no CORS: these are not for browsers on shop pages.
            let method = rights == .subject ? "GET" : "POST"
            guard request.method == method else {
                return .respond(.text(.methodNotAllowed, "this endpoint answers \(method) only\n", headers: [("Allow", method)]))
            }
            guard case .basic = TranscriptPath.credentials(request.header("Authorization")) else {
                return .respond(TranscriptPath.unauthorized("staff only: send Authorization: Basic", []))
            }
        }
        let origin = request.header("Origin")
        if let origin, !shared.allowedOrigins.isEmpty, !shared.allowedOrigins.contains(origin) {
            return .respond(.text(.forbidden, "origin \(origin) is not allowed\n"))
        }
        let cors = TranscriptPath.corsHeaders(origin: origin, allowedOrigins: shared.allowedOrigins)
        switch request.method {
        case "OPTIONS":
            return .respond(HTTPResponse(status: .noContent, headers: cors + [
                ("Access-Control-Allow-Methods", "GET, OPTIONS"), ("Access-Control-Allow-Headers", "Authorization"),
                ("Access-Control-Max-Age", "600"),
            ]))
        case "GET":
            break
        case "POST" where rights == .erase:
            break
        default:
            return .respond(.text(.methodNotAllowed, "transcripts answer GET (and OPTIONS) only\n", headers: cors + [("Allow", "GET, OPTIONS")]))
        }
        let credentials = TranscriptPath.credentials(request.header("Authorization"))
        if case .missing = credentials {
            return .respond(TranscriptPath.unauthorized("send Authorization: Basic (staff) or Bearer (a customer's session token)", cors))
        }
        let number = nextAnswer
        nextAnswer += 1
        awaitingAnswers[number] = WeakConnection(connection: connection)
        let loop = self.loop, me = LoopBound(self), desk = shared.desk, domain = shared.domain
        let answer: @Sendable (HTTPResponse) -> Void = { response in
            var withCORS = response
            withCORS.headers += cors
            let final = withCORS
            loop.execute { me.value.answer(number, final) }
        }
        switch credentials {
        case .missing:
            break
        case .bearer(let token):
            guard rights == nil else { return .respond(TranscriptPath.unauthorized("staff only", cors)) }
            let query = TranscriptQuery(conversation: conversation, format: format, reader: .customer(token: token))
            domain.execute { desk.value.transcript(query, answer) }
        case .basic(let login, let secret):
            // Checked once on the sign-in thread (one hash, whichever account the login is).
            let request = SignInRequest(check: .basic(login: login, secret: secret), ticket: nil) { verdict in
                switch verdict {
                case .throttled(let wait):
                    answer(TranscriptPath.throttled(wait))
                case .busy(let retry):
                    answer(TranscriptPath.busy(retry))
                case .checked(nil):
                    answer(TranscriptPath.unauthorized("unknown login or wrong secret", []))
                case .checked:
                    var action = TranscriptQuery.Action.read
                    switch rights {
                    case nil: break
                    case .subject?: action = .subject
                    case .erase?: action = .erase(login: login)
                    }
                    let query = TranscriptQuery(conversation: conversation, format: format, reader: .staff, action: action)
                    domain.execute { desk.value.transcript(query, answer) }
                }
            }
            switch shared.signIns.submit(request, from: connection.peer.host) {
            case .queued:
                break
            case .throttled(let wait):
                awaitingAnswers[number] = nil
                return .respond(withCORS(TranscriptPath.throttled(wait), cors))
            case .busy(let retry):
                awaitingAnswers[number] = nil
                return .respond(withCORS(TranscriptPath.busy(retry), cors))
            }
        }
        return .deferred
    }

    private func withCORS(_ response: HTTPResponse, _ cors: [(name: String, value: String)]) -> HTTPResponse {
        var answered = response
        answered.headers += cors
        return answered
    }

    /// A deferred answer arrives (on this loop).
    func answer(_ number: UInt64, _ response: HTTPResponse) {
        guard let waiting = awaitingAnswers.removeValue(forKey: number) else { return }
        waiting.connection?.respondLater(response)
    }
}

/// The transcript endpoints' paths, credentials and CORS headers. Stateless.
package enum TranscriptPath {
    package enum Credentials: Equatable {
        case missing
        case basic(login: String, secret: String)
        case bearer(String)
    }

    /// `/v1/conversations/{id}/TAIL`: the id (1–64 bytes) and what follows its slash.
    private static func conversationPath(_ path: Substring) -> (id: Substring, tail: Substring)? {
        let prefix = "/v1/conversations/"
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let id = rest[..<slash]
        guard !id.isEmpty, id.utf8.count <= 64 else { return nil }
        return (id, rest[rest.index(after: slash)...])
    }

    /// `/v1/conversations/{id}/transcript` and its `.txt` / `.html` forms.
    package static func parse(_ path: Substring) -> (conversation: String, format: TranscriptExport.Format)? {
        guard let (id, tail) = conversationPath(path) else { return nil }
        switch tail {
        case "transcript": return (String(id), .json)
        case "transcript.txt": return (String(id), .text)
        case "transcript.html": return (String(id), .html)
        default: return nil
        }
    }

    /// A customer's rights over what is held about them (staff endpoints).
    package enum Right: Equatable, Sendable {
        /// `GET /v1/conversations/{id}/subject`
        case subject
        /// `POST /v1/conversations/{id}/erase`
        case erase
    }

    package static func parseRight(_ path: Substring) -> (conversation: String, right: Right)? {
        guard let (id, tail) = conversationPath(path) else { return nil }
        switch tail {
        case "subject": return (String(id), .subject)
        case "erase": return (String(id), .erase)
        default: return nil
        }
    }

    /// RFC 7617 Basic (`login:secret`, base64) or RFC 6750 Bearer.
    package static func credentials(_ header: String?) -> Credentials {
        guard let header else { return .missing }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return .missing }
        let value = parts[1].trimmingSpaces
        switch parts[0].lowercased() {
        case "bearer":
            return value.isEmpty || value.utf8.count > 256 ? .missing : .bearer(String(value))
        case "basic":
            // Standard base64 read with the URL-safe decoder: the two alphabets differ in two letters.
            var text = String(value)
            while text.hasSuffix("=") { text.removeLast() }
            let urlSafe = String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
            guard text.utf8.count <= 1024, let bytes = Base64URL.decode(urlSafe),
                  let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return .missing }
            let login = String(decoding: bytes[..<colon], as: UTF8.self)
            let secret = String(decoding: bytes[(colon + 1)...], as: UTF8.self)
            return login.isEmpty ? .missing : .basic(login: login, secret: secret)
        default:
            return .missing
        }
    }

    /// The CORS answer (Fetch standard, "CORS protocol"): an origin is granted only
    /// when `[security] allowed_origins` names it. With no list no origin is granted —
    /// the broker's own pages are same-origin and need no CORS, a shop on another origin
    /// must be listed, and reflecting whatever `Origin` came (`null` too: sandboxed
    /// frames, `file:` pages) would tell every page on the web that it may read.
    package static func corsHeaders(origin: String?, allowedOrigins: [String]) -> [(name: String, value: String)] {
        guard !allowedOrigins.isEmpty else { return [] }
        guard let origin, origin != "null", allowedOrigins.contains(origin) else { return [("Vary", "Origin")] }
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    }

    /// 429: too many failed sign-ins from this address.
    static func throttled(_ waitMs: Int64) -> HTTPResponse {
        .text(.tooManyRequests, SignInThrottle.refusal(waitMs: waitMs) + "\n",
              headers: [("Retry-After", String(SignInThrottle.seconds(waitMs)))])
    }

    /// 503: the sign-in line is full, or the request waited in it past the request timeout.
    static func busy(_ retryAfterMs: Int64) -> HTTPResponse {
        .text(.serviceUnavailable, SignInLine.busy(retryAfterMs: retryAfterMs) + "\n",
              headers: [("Retry-After", String(SignInThrottle.seconds(retryAfterMs)))])
    }

    static func unauthorized(_ why: String, _ cors: [(name: String, value: String)]) -> HTTPResponse {
        .text(.unauthorized, "\(why)\n", headers: cors + [("WWW-Authenticate", "Basic realm=\"switchboard\", Bearer realm=\"switchboard\"")])
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
