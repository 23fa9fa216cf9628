import HTTP
import WebSocket
import WebSocketDeflate

/// What an accepted upgrade request sets up, decided with no I/O: the 101 answer
/// (RFC 6455 §4.2.2), the agreed subprotocol, the server-role state machine, and
/// permessage-deflate when the client offered it and the server allows it (RFC 7692
/// §5, with RSV1 then allowed on incoming frames, §6). The connection writes the
/// answer and switches to the WebSocket.
package struct WebSocketUpgrade {
    package enum Outcome {
        case accepted(WebSocketUpgrade)
        /// Not a valid upgrade (or not allowed): answer with this and close.
        case refused(HTTPResponse)
    }

    package var response: HTTPResponse
    package var subprotocol: String?
    package var socket: WebSocketConnection
    package var deflate: PerMessageDeflate?

    /// `sharedDeflate` is asked for only when the configuration shares compression
    /// contexts per loop and the client's offer was accepted.
    package static func accept(_ request: HTTPRequest, policy: Handshake.Policy, configuration: ServerConfiguration,
                               sharedDeflate: () -> SharedDeflateContexts, now: UInt64) -> Outcome {
        switch Handshake.accept(request, policy: policy) {
        case .failure(let error):
            return .refused(error.response)
        case .success(var acceptance):
            var socket = WebSocketConnection(role: .server, limits: configuration.webSocket, timeouts: configuration.webSocketTimeouts, now: now)
            var deflate: PerMessageDeflate?
            if let (parameters, answer) = DeflateNegotiation.negotiate(offers: acceptance.extensionOffers, configuration: configuration.deflate) {
                acceptance.response.headers.append(("Sec-WebSocket-Extensions", answer))
                let shared = configuration.deflate.mode == .sharedPerLoop ? sharedDeflate() : nil
                deflate = PerMessageDeflate(parameters: parameters, isServer: true, configuration: configuration.deflate, shared: shared)
                socket.reader.allowedReservedBits = 0x40  // RSV1 marks a compressed message (RFC 7692 §6)
            }
            return .accepted(WebSocketUpgrade(response: acceptance.response, subprotocol: acceptance.subprotocol, socket: socket, deflate: deflate))
        }
    }
}
