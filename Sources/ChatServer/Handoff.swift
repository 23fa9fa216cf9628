import ChatProtocol

// What crosses between an I/O loop and the domain thread (protocol/threading.md).
// Plain values only: decoded messages go in, encoded bytes come out, and neither side
// ever touches the other's objects.

/// A WebSocket as the domain thread names it: the I/O loop that owns it and a number
/// unique on that loop. A plain value.
struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    let loop: Int
    let number: UInt64

    var description: String { "conn\(loop).\(number)" }
}

/// Someone who signed in with a secret, as the sign-in thread vouches. A plain value.
enum StaffIdentity: Hashable, Sendable {
    case agent(handle: String)
    case supervisor(login: String, name: String)
}

/// From an I/O loop (or the sign-in thread) to the domain thread.
enum Inbound: Sendable {
    /// A connection is about to say `hello`, from this client address (sent only
    /// when the per-address message budget is on).
    case arrived(ConnectionID, address: String)
    /// A decoded client message on an open connection.
    case message(ConnectionID, ClientMessage)
    /// A message refused before the domain saw it (decoder, rate limit, `hello`
    /// first). It goes through the domain thread anyway so that answers keep the
    /// order of the requests; `close` follows the error when it is fatal.
    case refused(ConnectionID, ErrorReport, close: ApplicationCloseCode?)
    /// The sign-in thread checked a staff `hello`: who it is, or nil when refused.
    case staffHello(ConnectionID, Role, requestID: String?, StaffIdentity?)
    /// The WebSocket is gone.
    case closed(ConnectionID)
}

/// From the domain thread to the I/O loop that owns `connection`.
enum Outbound: Sendable {
    /// One encoded server message (a WebSocket text message).
    case send(UInt64, [UInt8])
    /// Close with this code (after the fatal `error` sent just before).
    case close(UInt64, ApplicationCloseCode)
    /// The staff `hello` is settled: pass on what the connection sent meanwhile.
    case release(UInt64)
}
