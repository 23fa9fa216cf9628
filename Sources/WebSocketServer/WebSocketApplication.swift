import HTTP
import WebSocket

/// What to do with an HTTP request: answer it, or upgrade it to a WebSocket.
public enum Route: Sendable {
    case respond(HTTPResponse)
    /// Upgrade with this policy (origins, subprotocols); RFC 6455's own checks still apply.
    case upgrade(Handshake.Policy)
    /// The answer comes later, from `ServerConnection.respondLater` on the same loop
    /// (work on another thread: a password check, the domain). Until then the
    /// connection reads nothing more; after the answer it closes (no keep-alive). If no
    /// answer comes within the request timeout, the client gets 408 instead.
    case deferred
}

/// The code above the transport: the echo server, or the chat broker's glue.
///
/// One instance per event loop, called only on that loop's thread, so it may keep
/// per-loop state without locks. Payload pointers are valid only during the call.
public protocol WebSocketApplication: AnyObject, SendableMetatype {
    func route(_ request: HTTPRequest, connection: ServerConnection<Self>) -> Route
    func opened(_ connection: ServerConnection<Self>)
    func received(_ connection: ServerConnection<Self>, opcode: Opcode, payload: UnsafeRawBufferPointer)
    /// The WebSocket is gone: `code` is the peer's close code, or nil when the TCP
    /// connection ended without a close frame (1006).
    func closed(_ connection: ServerConnection<Self>, code: CloseCode?)
}
