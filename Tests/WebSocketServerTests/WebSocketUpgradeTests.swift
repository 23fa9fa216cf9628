import HTTP
import Testing
import WebSocket
import WebSocketDeflate
import WebSocketServer

/// The upgrade decision on a parsed request: the 101 answer, permessage-deflate
/// accepted or not (and RSV1 allowed only when it is), the subprotocol, refusals.
@Suite struct WebSocketUpgradeTests {
    static func request(extensions: String? = nil, protocols: String? = nil, key: String = "dGhlIHNhbXBsZSBub25jZQ==") -> HTTPRequest {
        var text = "GET /chat HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        if let extensions { text += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
        if let protocols { text += "Sec-WebSocket-Protocol: \(protocols)\r\n" }
        var parser = HTTPRequestParser()
        guard case .request(let request) = Array((text + "\r\n").utf8).withUnsafeBytes({ parser.parse($0) }) else {
            preconditionFailure("the test request does not parse")
        }
        return request
    }

    static func accept(_ request: HTTPRequest, policy: Handshake.Policy = Handshake.Policy(),
                       configure: (inout ServerConfiguration) -> Void = { _ in }) -> WebSocketUpgrade.Outcome {
        var configuration = ServerConfiguration()
        configure(&configuration)
        let deflate = configuration.deflate
        return WebSocketUpgrade.accept(request, policy: policy, configuration: configuration,
                                       sharedDeflate: { SharedDeflateContexts(configuration: deflate) }, now: 0)
    }

    static func header(_ name: String, _ response: HTTPResponse) -> String? {
        response.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    @Test func plainUpgradeIsAcceptedWithAnOpenServerMachineAndNoDeflate() {
        guard case .accepted(let upgrade) = Self.accept(Self.request()) else {
            Issue.record("a valid upgrade was refused")
            return
        }
        #expect(upgrade.response.status.code == 101)
        #expect(Self.header("Sec-WebSocket-Accept", upgrade.response) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(Self.header("Sec-WebSocket-Extensions", upgrade.response) == nil)
        #expect(upgrade.deflate == nil)
        #expect(upgrade.socket.role == .server && upgrade.socket.isOpen)
        #expect(upgrade.socket.reader.allowedReservedBits == 0)
    }

    @Test func offeredDeflateIsAcceptedAndAllowsRSV1() {
        guard case .accepted(let upgrade) = Self.accept(Self.request(extensions: "permessage-deflate; client_max_window_bits")) else {
            Issue.record("a valid upgrade was refused")
            return
        }
        #expect(Self.header("Sec-WebSocket-Extensions", upgrade.response)?.hasPrefix("permessage-deflate") == true)
        #expect(upgrade.deflate != nil)
        #expect(upgrade.socket.reader.allowedReservedBits == 0x40)
    }

    @Test func deflateTurnedOffIsNotNegotiated() {
        guard case .accepted(let upgrade) = Self.accept(Self.request(extensions: "permessage-deflate"), configure: { $0.deflate.enabled = false }) else {
            Issue.record("a valid upgrade was refused")
            return
        }
        #expect(upgrade.deflate == nil)
        #expect(upgrade.socket.reader.allowedReservedBits == 0)
    }

    @Test func offeredSubprotocolIsAgreed() {
        var policy = Handshake.Policy()
        policy.subprotocols = ["switchboard.v1"]
        guard case .accepted(let upgrade) = Self.accept(Self.request(protocols: "other, switchboard.v1"), policy: policy) else {
            Issue.record("a valid upgrade was refused")
            return
        }
        #expect(upgrade.subprotocol == "switchboard.v1")
    }

    @Test func malformedKeyIsRefusedWith400() {
        guard case .refused(let response) = Self.accept(Self.request(key: "short")) else {
            Issue.record("a bad key was accepted")
            return
        }
        #expect(response.status.code == 400)
    }
}
