import CSHA1
import HTTP

/// The opening handshake (RFC 6455 §4): the server's check of an upgrade request and
/// its 101 answer, and the client's request and check of that answer. Stateless.
public enum Handshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)) (§4.2.2 step 5.4).
    public static func acceptValue(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        input.withUnsafeBytes { raw in
            digest.withUnsafeMutableBufferPointer { out in
                switchboard_sha1(raw.baseAddress, raw.count, out.baseAddress)
            }
        }
        return Base64.encode(digest)
    }

    /// Whether a request asks for a WebSocket at all (`Upgrade: websocket`).
    public static func isUpgradeRequest(_ request: HTTPRequest) -> Bool {
        request.headerTokens("Upgrade").contains { $0.lowercased() == "websocket" }
    }

    /// What the server's policy says about an upgrade, beyond RFC 6455's own rules.
    public struct Policy: Sendable {
        /// Allowed `Origin` values; empty allows any (and requests without one).
        public var allowedOrigins: Set<String> = []
        /// Subprotocols the server speaks, in its order of preference (§4.2.2 step 5.5 /
        /// §1.9). A client offering none gets none; a client offering only unknown ones
        /// is refused when `requireSubprotocol` is set.
        public var subprotocols: [String] = []
        public var requireSubprotocol = false

        public init(allowedOrigins: Set<String> = [], subprotocols: [String] = [], requireSubprotocol: Bool = false) {
            self.allowedOrigins = allowedOrigins
            self.subprotocols = subprotocols
            self.requireSubprotocol = requireSubprotocol
        }
    }

    /// An accepted upgrade: what to answer and what was agreed.
    public struct Acceptance: Sendable {
        public var response: HTTPResponse
        public var subprotocol: String?
        /// The client's extension offers (`Sec-WebSocket-Extensions`), for an extension
        /// layer to negotiate and add its answer to `response`.
        public var extensionOffers: [Substring]
    }

    /// Checks an upgrade request (§4.2.1) and builds the 101 answer (§4.2.2), or the
    /// error response to send before closing.
    public static func accept(_ request: HTTPRequest, policy: Policy = Policy()) -> Result<Acceptance, HandshakeError> {
        guard request.method == "GET" else {
            return .failure(HandshakeError(response: .text(.methodNotAllowed, "WebSocket upgrades use GET\n", headers: [("Allow", "GET")])))
        }
        guard isUpgradeRequest(request) else {
            return .failure(HandshakeError(response: .text(.upgradeRequired, "this endpoint speaks WebSocket only\n",
                                                           headers: [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13")])))
        }
        guard request.minorVersion >= 1 else { return .failure(.bad("WebSocket needs HTTP/1.1")) }
        guard request.headerTokens("Connection").contains(where: { $0.lowercased() == "upgrade" }) else {
            return .failure(.bad("Connection header lacks the upgrade token"))
        }
        guard request.headerTokens("Sec-WebSocket-Version").contains("13") else {
            // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to.
            return .failure(HandshakeError(response: .text(.upgradeRequired, "only WebSocket version 13 is supported\n",
                                                           headers: [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13")])))
        }
        // §11.3.1: the key MUST NOT appear more than once; which of two would we answer?
        let keys = request.headers.filter { $0.name.lowercased() == "sec-websocket-key" }
        guard keys.count <= 1 else { return .failure(.bad("more than one Sec-WebSocket-Key")) }
        guard let key = keys.first?.value, Base64.decodedLength(Substring(key)) == 16 else {
            return .failure(.bad("Sec-WebSocket-Key must be 16 bytes in base64"))
        }
        if !policy.allowedOrigins.isEmpty {
            guard let origin = request.header("Origin"), policy.allowedOrigins.contains(origin) else {
                return .failure(HandshakeError(response: .text(.forbidden, "origin not allowed\n")))
            }
        }
        let offered = request.headerTokens("Sec-WebSocket-Protocol").map(String.init)
        let chosen = policy.subprotocols.first { offered.contains($0) }
        if chosen == nil && policy.requireSubprotocol {
            return .failure(.bad("no supported subprotocol offered; this server speaks \(policy.subprotocols.joined(separator: ", "))"))
        }
        var headers: [(name: String, value: String)] = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", acceptValue(forKey: key)),
        ]
        if let chosen { headers.append(("Sec-WebSocket-Protocol", chosen)) }
        return .success(Acceptance(response: HTTPResponse(status: .switchingProtocols, headers: headers),
                                   subprotocol: chosen,
                                   extensionOffers: request.headerTokens("Sec-WebSocket-Extensions")))
    }

    /// The client's opening request (§4.1) and the key whose accept value to expect.
    public static func clientRequest(host: String, path: String, subprotocols: [String] = [], extensions: String? = nil) -> (bytes: [UInt8], key: String) {
        var nonce = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in nonce.indices { nonce[index] = generator.next() }
        let key = Base64.encode(nonce)
        var text = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        if !subprotocols.isEmpty { text += "Sec-WebSocket-Protocol: \(subprotocols.joined(separator: ", "))\r\n" }
        if let extensions { text += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
        text += "\r\n"
        return (Array(text.utf8), key)
    }

    /// The server's accepted answer, as a client sees it.
    public struct ServerAnswer: Sendable {
        /// Bytes of the response head; frames may follow them in the same read.
        public var headLength: Int
        /// `Sec-WebSocket-Extensions` elements the server agreed to.
        public var extensions: [Substring]
        public var subprotocol: String?
    }

    /// Checks the server's answer to a client request (§4.1, the client's checks 1–4;
    /// checks 5–6 on extensions and subprotocol are the caller's, who knows its offer).
    public static func parseServerResponse(_ bytes: [UInt8], key: String) -> Result<ServerAnswer, HandshakeError> {
        guard let end = findHeadEnd(bytes) else { return .failure(.bad("incomplete response")) }
        let text = String(decoding: bytes[0..<end], as: UTF8.self)
        let lines = text.split(separator: "\r\n")
        guard let status = lines.first, status.hasPrefix("HTTP/1.1 101") else {
            return .failure(.bad("server did not switch protocols: \(lines.first ?? "")"))
        }
        var accept: Substring?
        var upgrade = false, connection = false
        var answer = ServerAnswer(headLength: end, extensions: [], subprotocol: nil)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters()
            let tokens = value.split(separator: ",").map { $0.trimmingCharacters().lowercased() }
            switch line[..<colon].lowercased() {
            case "upgrade": upgrade = upgrade || tokens.contains("websocket")
            case "connection": connection = connection || tokens.contains("upgrade")
            case "sec-websocket-accept": accept = value
            case "sec-websocket-extensions": answer.extensions += value.split(separator: ",").map { $0.trimmingCharacters() }
            case "sec-websocket-protocol": answer.subprotocol = String(value)
            default: break
            }
        }
        guard upgrade else { return .failure(.bad("101 without Upgrade: websocket")) }
        guard connection else { return .failure(.bad("101 without Connection: Upgrade")) }
        guard accept.map(String.init) == acceptValue(forKey: key) else { return .failure(.bad("wrong Sec-WebSocket-Accept")) }
        return .success(answer)
    }

    /// As `parseServerResponse`, returning only the response head's length.
    public static func verifyServerResponse(_ bytes: [UInt8], key: String) -> Result<Int, HandshakeError> {
        parseServerResponse(bytes, key: key).map(\.headLength)
    }

    /// The index just past CRLF CRLF, if the head is complete.
    public static func findHeadEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}

/// A refused upgrade, with the HTTP response that says why.
public struct HandshakeError: Error, Sendable {
    public let response: HTTPResponse

    public init(response: HTTPResponse) { self.response = response }

    static func bad(_ reason: String) -> HandshakeError {
        HandshakeError(response: .text(.badRequest, reason + "\n"))
    }

    public var reason: String { String(decoding: response.body, as: UTF8.self) }
}

extension Substring {
    fileprivate func trimmingCharacters() -> Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result.removeFirst() }
        while result.last == " " || result.last == "\t" { result.removeLast() }
        return result
    }
}
