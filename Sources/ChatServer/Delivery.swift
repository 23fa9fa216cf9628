import ChatProtocol

/// Where the desk's answers go: encoded server messages, closes and releases, each for
/// one connection named by its `ConnectionID` (an I/O loop and a number today; a node
/// as well once the broker is a cluster).
///
/// The broker's delivery is the `Outbox`, which batches per I/O loop and holds what
/// must wait for the disk; tests record what the desk says instead. Called on the
/// domain thread only.
protocol Delivery: AnyObject {
    /// One encoded server message (a WebSocket text message). The same bytes may go
    /// to several connections: they are shared, not copied.
    func send(_ bytes: [UInt8], to connection: ConnectionID)
    /// Closes the connection with `code`, after what was sent to it before.
    func close(_ connection: ConnectionID, _ code: ApplicationCloseCode)
    /// The staff `hello` on `connection` is settled: what the client sent meanwhile may
    /// come on (protocol/threading.md, "Sign-in").
    func release(_ connection: ConnectionID)
}
