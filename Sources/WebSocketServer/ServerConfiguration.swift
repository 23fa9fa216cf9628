import HTTP
import WebSocket
import WebSocketDeflate
import TLS

/// Everything the transport needs to know to serve; a value, read by every loop.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the bound port is printed.
    public var port: UInt16 = 8080
    /// Event loops, one thread each; default: the cores this process may use.
    public var threads = 1
    public var http = HTTPLimits()
    public var webSocket = WebSocketLimits()
    public var handshakePolicy = Handshake.Policy()
    /// TLS (wss://): the certificate store, reloadable with SIGHUP; nil serves plain TCP.
    public var tls: TLSCertificateStore?
    /// permessage-deflate (RFC 7692): on by default, accepted when a client offers it.
    public var deflate = DeflateConfiguration()

    /// A connection must finish its HTTP request within this time (a client that
    /// dribbles bytes is cut off with 408); also the idle limit between keep-alive requests.
    public var handshakeTimeout: Double = 5
    /// An open WebSocket quiet this long is sent a ping; 0: never.
    public var idlePingInterval: Double = 30
    /// A ping unanswered this long means the peer is gone: the connection is dropped; 0: never.
    public var pongTimeout: Double = 20
    /// After our close frame, how long the peer has to answer and close its side.
    public var closeTimeout: Double = 2
    /// Queued, unsent bytes with no write progress for this long: the peer is not
    /// reading, and the connection is dropped.
    public var sendTimeout: Double = 30
    /// Above this many unsent bytes a connection's reading pauses (backpressure).
    public var sendSoftLimit = 1024 * 1024
    /// Past this many unsent bytes the connection is dropped (close code 1008 in the log;
    /// the peer is not reading, so no close frame could reach it). nil: derived from
    /// the message limit, so that one echoed maximum-size message always fits.
    public var sendHardLimit: Int?
    /// Unsent bytes queued for all connections together; past it the connections with
    /// the longest queues are dropped first (`QueuedOutput`). 0: no limit.
    public var maxQueuedOutput = 256 * 1024 * 1024
    /// Open connections from one IP address; 0: no limit. Past it the server answers
    /// 429 before the upgrade.
    public var maxConnectionsPerAddress = 0
    /// How long a graceful shutdown waits for peers to answer our 1001 close.
    public var shutdownGrace: Double = 5

    public init() {}

    /// The open WebSocket's timers. The close timeout stays with the connection: after
    /// our close frame it shuts its side and waits for the peer's FIN (`closeTimeout`).
    var webSocketTimeouts: WebSocketConnection.Timeouts {
        WebSocketConnection.Timeouts(idlePing: idlePingInterval.nanoseconds, pong: pongTimeout.nanoseconds, close: 0)
    }

    var effectiveSendHardLimit: Int {
        sendHardLimit ?? max(16 * 1024 * 1024, 2 * webSocket.maxMessageSize + sendSoftLimit)
    }
}

extension Double {
    /// Seconds to nanoseconds, for deadlines on the monotonic clock.
    var nanoseconds: UInt64 { UInt64((self * 1_000_000_000).rounded()) }
}
