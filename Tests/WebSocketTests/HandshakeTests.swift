import HTTP
import WebSocket
import Testing

/// The opening handshake (RFC 6455 §4) on bytes: requests are parsed by the HTTP
/// parser, answers are checked as serialized.
@Suite struct HandshakeTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    /// An upgrade request as a browser sends it, with lines replaced or removed.
    static func requestText(method: String = "GET", version: String = "HTTP/1.1", replacing: [String: String?] = [:], adding extra: [String] = []) -> String {
        var fields: [(String, String)] = [
            ("Host", "switchboard.example"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ]
        for (name, value) in replacing {
            if let index = fields.firstIndex(where: { $0.0 == name }) {
                if let value { fields[index].1 = value } else { fields.remove(at: index) }
            } else if let value {
                fields.append((name, value))
            }
        }
        var text = "\(method) /chat \(version)\r\n"
        for (name, value) in fields { text += "\(name): \(value)\r\n" }
        for line in extra { text += line + "\r\n" }
        return text + "\r\n"
    }

    static func parsed(_ text: String) throws -> HTTPRequest {
        var parser = HTTPRequestParser()
        let result = Array(text.utf8).withUnsafeBytes { parser.parse($0) }
        guard case .request(let request) = result else {
            throw ParseFailure(result: "\(result)")
        }
        return request
    }

    struct ParseFailure: Error { let result: String }

    static func accept(_ text: String, policy: Handshake.Policy = Handshake.Policy()) throws -> Result<Handshake.Acceptance, HandshakeError> {
        Handshake.accept(try parsed(text), policy: policy)
    }

    static func refusal(_ text: String, policy: Handshake.Policy = Handshake.Policy()) throws -> HTTPResponse? {
        if case .failure(let error) = try accept(text, policy: policy) { return error.response }
        return nil
    }

    static func hasHeader(_ response: HTTPResponse?, _ name: String, _ value: String) -> Bool {
        response?.headers.contains { $0.name.lowercased() == name.lowercased() && $0.value == value } ?? false
    }

    // MARK: Accepting

    @Test func acceptValueMatchesTheRFCsExample() {
        #expect(Handshake.acceptValue(forKey: Self.key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func answersAValidUpgradeWith101AndTheAcceptValue() throws {
        let acceptance = try Self.accept(Self.requestText()).get()
        let text = String(decoding: acceptance.response.serialized(), as: UTF8.self)
        #expect(text == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        #expect(acceptance.subprotocol == nil)
        #expect(acceptance.extensionOffers.isEmpty)
    }

    @Test func acceptsTokensInAnyCaseAndAmongOthers() throws {
        let text = Self.requestText(replacing: ["Upgrade": "WebSocket", "Connection": "keep-alive, Upgrade"])
        #expect(throws: Never.self) { try Self.accept(text).get() }
        let lower = Self.requestText(replacing: ["Connection": "upgrade"])
        #expect(throws: Never.self) { try Self.accept(lower).get() }
    }

    @Test func recognisesAnUpgradeRequestByItsUpgradeHeader() throws {
        #expect(Handshake.isUpgradeRequest(try Self.parsed(Self.requestText())))
        #expect(Handshake.isUpgradeRequest(try Self.parsed(Self.requestText(replacing: ["Upgrade": "h2c, WEBSOCKET"]))))
        #expect(!Handshake.isUpgradeRequest(try Self.parsed("GET / HTTP/1.1\r\nHost: h\r\n\r\n")))
        #expect(!Handshake.isUpgradeRequest(try Self.parsed(Self.requestText(replacing: ["Upgrade": "h2c"]))))
    }

    @Test func passesTheExtensionOffersOn() throws {
        let text = Self.requestText(replacing: ["Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits, x-custom"])
        #expect(try Self.accept(text).get().extensionOffers == ["permessage-deflate; client_max_window_bits", "x-custom"])
    }

    // MARK: Refusing (§4.2.1, §4.4)

    @Test(arguments: ["POST", "PUT", "HEAD", "OPTIONS"])
    func refusesOtherMethodsWith405(_ method: String) throws {
        let response = try Self.refusal(Self.requestText(method: method))
        #expect(response?.status == .methodNotAllowed)
        #expect(Self.hasHeader(response, "Allow", "GET"))
    }

    @Test func refusesARequestWithoutUpgradeWith426AndTheVersionItSpeaks() throws {
        let response = try Self.refusal(Self.requestText(replacing: ["Upgrade": nil]))
        #expect(response?.status == .upgradeRequired)
        #expect(Self.hasHeader(response, "Sec-WebSocket-Version", "13"))
        #expect(Self.hasHeader(response, "Upgrade", "websocket"))
        let bytes = String(decoding: response?.serialized() ?? [], as: UTF8.self)
        #expect(bytes.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"))
    }

    @Test(arguments: ["8", "12", "14", "", "13x"])
    func refusesAnotherWebSocketVersionWith426AndVersion13(_ version: String) throws {
        let response = try Self.refusal(Self.requestText(replacing: ["Sec-WebSocket-Version": version]))
        #expect(response?.status == .upgradeRequired)
        #expect(Self.hasHeader(response, "Sec-WebSocket-Version", "13"))
    }

    @Test func refusesAMissingWebSocketVersionWith426() throws {
        let response = try Self.refusal(Self.requestText(replacing: ["Sec-WebSocket-Version": nil]))
        #expect(response?.status == .upgradeRequired)
        #expect(Self.hasHeader(response, "Sec-WebSocket-Version", "13"))
    }

    @Test(arguments: [
        Optional<String>.none, "", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ==dGhl",
        "dGhlIHNhbXBsZSBub25j", "dGhlIHNhbXBsZSBub25jZSE=", "dGhl*HNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j=Q==",
    ])
    func refusesAKeyThatIsNotSixteenBytesInBase64With400(_ key: String?) throws {
        let response = try Self.refusal(Self.requestText(replacing: ["Sec-WebSocket-Key": key]))
        #expect(response?.status == .badRequest)
    }

    /// Issue 15, item 8: an upgrade with two `Sec-WebSocket-Key` fields (two valid
    /// 16-byte keys) got 101 with the accept value of the first. RFC 6455 §11.3.1: the
    /// field MUST NOT appear more than once in a request, so the request is malformed.
    @Test func refusesTwoKeysWith400() throws {
        let two = Self.requestText(adding: ["Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="])
        #expect(try Self.refusal(two)?.status == .badRequest)
        let same = Self.requestText(adding: ["sec-websocket-key: \(Self.key)"])
        #expect(try Self.refusal(same)?.status == .badRequest)
    }

    @Test(arguments: [Optional<String>.none, "keep-alive", "close", "upgraded"])
    func refusesAConnectionHeaderWithoutTheUpgradeTokenWith400(_ connection: String?) throws {
        let response = try Self.refusal(Self.requestText(replacing: ["Connection": connection]))
        #expect(response?.status == .badRequest)
    }

    @Test func refusesAnUpgradeOverHTTP10With400() throws {
        let response = try Self.refusal(Self.requestText(version: "HTTP/1.0"))
        #expect(response?.status == .badRequest)
    }

    @Test func refusalsAreClosedPlainTextResponsesWithABody() throws {
        let response = try #require(try Self.refusal(Self.requestText(replacing: ["Sec-WebSocket-Key": "short"])))
        #expect(!response.body.isEmpty)
        let text = String(decoding: response.serialized(close: true), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"))
        #expect(text.contains("Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"))
    }

    // MARK: Origin policy (§4.2.2, §10.2)

    @Test func acceptsAnyOriginWhenThePolicyListsNone() throws {
        #expect(throws: Never.self) { try Self.accept(Self.requestText(replacing: ["Origin": "https://evil.example"])).get() }
        #expect(throws: Never.self) { try Self.accept(Self.requestText()).get() }
    }

    @Test func acceptsAnAllowedOrigin() throws {
        let policy = Handshake.Policy(allowedOrigins: ["https://app.example", "https://admin.example"])
        #expect(throws: Never.self) { try Self.accept(Self.requestText(replacing: ["Origin": "https://admin.example"]), policy: policy).get() }
    }

    @Test(arguments: [Optional<String>.none, "https://evil.example", "https://app.example:8443", "http://app.example"])
    func refusesAnOriginOutsideThePolicyWith403(_ origin: String?) throws {
        let policy = Handshake.Policy(allowedOrigins: ["https://app.example"])
        let response = try Self.refusal(Self.requestText(replacing: ["Origin": origin]), policy: policy)
        #expect(response?.status == .forbidden)
    }

    // MARK: Subprotocols (§1.9, §4.2.2)

    @Test func choosesTheServersMostPreferredSubprotocolTheClientOffers() throws {
        let policy = Handshake.Policy(subprotocols: ["chat.v2", "chat.v1"])
        let text = Self.requestText(replacing: ["Sec-WebSocket-Protocol": "chat.v1, chat.v2, other"])
        let acceptance = try Self.accept(text, policy: policy).get()
        #expect(acceptance.subprotocol == "chat.v2")
        #expect(Self.hasHeader(acceptance.response, "Sec-WebSocket-Protocol", "chat.v2"))
    }

    @Test func choosesASubprotocolOfferedInARepeatedHeader() throws {
        let policy = Handshake.Policy(subprotocols: ["chat.v2", "chat.v1"])
        let text = Self.requestText(replacing: ["Sec-WebSocket-Protocol": "other"], adding: ["Sec-WebSocket-Protocol: chat.v1"])
        #expect(try Self.accept(text, policy: policy).get().subprotocol == "chat.v1")
    }

    @Test func choosesNoSubprotocolWhenTheClientOffersNone() throws {
        let acceptance = try Self.accept(Self.requestText(), policy: Handshake.Policy(subprotocols: ["chat.v1"])).get()
        #expect(acceptance.subprotocol == nil)
        #expect(!acceptance.response.headers.contains { $0.name == "Sec-WebSocket-Protocol" })
    }

    @Test func choosesNoSubprotocolWhenTheServerSpeaksNone() throws {
        let text = Self.requestText(replacing: ["Sec-WebSocket-Protocol": "chat.v1"])
        let acceptance = try Self.accept(text).get()
        #expect(acceptance.subprotocol == nil)
        #expect(!acceptance.response.headers.contains { $0.name == "Sec-WebSocket-Protocol" })
    }

    @Test func refusesAClientOfferingOnlyUnknownSubprotocolsWhenOneIsRequired() throws {
        let policy = Handshake.Policy(subprotocols: ["chat.v1"], requireSubprotocol: true)
        #expect(try Self.refusal(Self.requestText(replacing: ["Sec-WebSocket-Protocol": "other"]), policy: policy)?.status == .badRequest)
        #expect(try Self.refusal(Self.requestText(), policy: policy)?.status == .badRequest)
    }

    // MARK: The client's side (§4.1)

    @Test func clientRequestIsAValidUpgradeWithAFreshSixteenByteKey() throws {
        let (bytes, key) = Handshake.clientRequest(host: "127.0.0.1:8080", path: "/chat?room=1", subprotocols: ["chat.v2", "chat.v1"], extensions: "permessage-deflate")
        let request = try Self.parsed(String(decoding: bytes, as: UTF8.self))
        #expect(request.method == "GET")
        #expect(request.target == "/chat?room=1")
        #expect(request.minorVersion == 1)
        #expect(request.header("Host") == "127.0.0.1:8080")
        #expect(request.header("Sec-WebSocket-Key") == key)
        #expect(request.header("Sec-WebSocket-Version") == "13")
        #expect(request.headerTokens("Sec-WebSocket-Protocol") == ["chat.v2", "chat.v1"])
        #expect(request.header("Sec-WebSocket-Extensions") == "permessage-deflate")
        #expect(key.count == 24 && key.hasSuffix("=="))
        #expect(Handshake.clientRequest(host: "h", path: "/").key != key)
    }

    @Test func clientRequestAndServerAnswerCompleteARoundTrip() throws {
        let (bytes, key) = Handshake.clientRequest(host: "localhost", path: "/chat", subprotocols: ["chat.v1"])
        let acceptance = try Self.accept(String(decoding: bytes, as: UTF8.self), policy: Handshake.Policy(subprotocols: ["chat.v1"])).get()
        #expect(acceptance.subprotocol == "chat.v1")
        let answer = acceptance.response.serialized()
        let firstFrame: [UInt8] = [0x81, 0x02, 0x68, 0x69]
        #expect(try Handshake.verifyServerResponse(answer + firstFrame, key: key).get() == answer.count)
    }

    @Test func clientRefusesAnAnswerForAnotherKey() throws {
        let (bytes, _) = Handshake.clientRequest(host: "localhost", path: "/")
        let answer = try Self.accept(String(decoding: bytes, as: UTF8.self)).get().response.serialized()
        let (_, otherKey) = Handshake.clientRequest(host: "localhost", path: "/")
        #expect(throws: HandshakeError.self) { try Handshake.verifyServerResponse(answer, key: otherKey).get() }
    }

    @Test func clientRefusesAnAnswerWithoutAcceptValue() {
        let answer = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8)
        #expect(throws: HandshakeError.self) { try Handshake.verifyServerResponse(answer, key: Self.key).get() }
    }

    @Test func clientRefusesAnAnswerThatIsNotA101() throws {
        let refusal = try #require(try Self.refusal(Self.requestText(replacing: ["Sec-WebSocket-Version": "8"])))
        #expect(throws: HandshakeError.self) { try Handshake.verifyServerResponse(refusal.serialized(), key: Self.key).get() }
        let ok = Array("HTTP/1.1 200 OK\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(throws: HandshakeError.self) { try Handshake.verifyServerResponse(ok, key: Self.key).get() }
    }

    @Test func clientRefusesAnIncompleteAnswer() {
        let answer = Array("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n".utf8)
        #expect(throws: HandshakeError.self) { try Handshake.verifyServerResponse(answer, key: Self.key).get() }
    }

    @Test func clientAcceptsHeaderNamesInAnyCase() throws {
        let answer = Array("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n\r\n".utf8)
        #expect(try Handshake.verifyServerResponse(answer, key: Self.key).get() == answer.count)
    }

    @Test
    func clientRefusesAnAnswerWithoutUpgradeWebSocket() {
        let missing = Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".utf8)
        #expect(throws: HandshakeError.self) { try Handshake.verifyServerResponse(missing, key: Self.key).get() }
        let wrong = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".utf8)
        #expect(throws: HandshakeError.self) { try Handshake.verifyServerResponse(wrong, key: Self.key).get() }
    }

    @Test
    func clientRefusesAnAnswerWithoutConnectionUpgrade() {
        let answer = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".utf8)
        #expect(throws: HandshakeError.self) { try Handshake.verifyServerResponse(answer, key: Self.key).get() }
    }

    @Test func findHeadEndFindsTheBlankLine() {
        #expect(Handshake.findHeadEnd(Array("HTTP/1.1 101 X\r\n\r\nrest".utf8)) == 18)
        #expect(Handshake.findHeadEnd(Array("HTTP/1.1 101 X\r\n\r".utf8)) == nil)
        #expect(Handshake.findHeadEnd([13, 10, 13]) == nil)
        #expect(Handshake.findHeadEnd([13, 10, 13, 10]) == 4)
    }
}
