#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Posix
import TLS
import WebSocketServer

/// Options every server command shares: where to listen and the transport's limits.
struct TransportOptions: ParsableArguments {
    @Option(help: "Address to listen on (numeric IPv4 or IPv6, or localhost).")
    var host = "127.0.0.1"

    @Option(help: "TCP port; 0 picks a free one (printed at start). Default: 8080 for serve, 9001 for echo.")
    var port: UInt16?

    @Option(help: "Event-loop threads, one per core by default; with 1, serve runs its domain on that loop.")
    var threads: Int?

    @Option(help: "Largest WebSocket message in bytes (all fragments); larger ones close with 1009.")
    var maxMessageSize: Int?

    @Option(help: "Largest single WebSocket frame in bytes; larger ones close with 1009.")
    var maxFrameSize: Int?

    @Option(help: "Seconds a client has to finish its HTTP request before a 408.")
    var handshakeTimeout: Double = 5

    @Option(help: "Seconds of silence before the server pings a WebSocket.")
    var idlePing: Double = 30

    @Option(help: "Seconds queued bytes may wait with no write progress before the connection is dropped.")
    var sendTimeout: Double = 30

    @Option(help: "Open connections allowed per client IP address (0: no limit); beyond it, 429.")
    var maxConnectionsPerAddress = 0

    @Option(help: "Unsent bytes queued for all connections together (0: no limit); past it the connections with the longest queues are dropped first.")
    var maxQueuedOutput = 256 * 1024 * 1024

    @Option(help: "Seconds a graceful shutdown waits for peers to answer the 1001 close.")
    var shutdownGrace: Double = 5

    @Option(help: "PEM certificate chain (leaf first) for TLS (wss://); needs --tls-key. SIGHUP reloads it.")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Flag(help: "Refuse permessage-deflate (RFC 7692) even when clients offer it.")
    var noDeflate = false

    @Flag(help: "Share one compressor and decompressor per event loop (no context takeover): no per-connection zlib memory, a lower ratio.")
    var deflateShared = false

    @Option(help: "Messages shorter than this many bytes are sent uncompressed. Default: 0 for echo, 64 for serve.")
    var deflateMinSize: Int?

    @Option(help: "Log level: debug, info, warning or error.")
    var logLevel = "info"

    @Option(help: "Log line format on standard error: text (TIMESTAMP LEVEL message) or json (one object per line).")
    var logFormat = "text"

    func validate() throws {
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
        if let size = maxMessageSize, size < 1 { throw ValidationError("--max-message-size must be positive") }
        if let size = maxFrameSize, size < 1 { throw ValidationError("--max-frame-size must be positive") }
        for (name, value) in [("--handshake-timeout", handshakeTimeout), ("--idle-ping", idlePing),
                              ("--send-timeout", sendTimeout), ("--shutdown-grace", shutdownGrace)] where value <= 0 {
            throw ValidationError("\(name) must be a positive number of seconds")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if maxQueuedOutput < 0 { throw ValidationError("--max-queued-output must be 0 or more") }
        if let size = deflateMinSize, size < 0 { throw ValidationError("--deflate-min-size must be 0 or more") }
        if logLevelValue == nil { throw ValidationError("--log-level must be debug, info, warning or error") }
        if Log.Format(rawValue: logFormat) == nil { throw ValidationError("--log-format must be text or json") }
    }

    var logLevelValue: Log.Level? {
        ["debug": .debug, "info": .info, "warning": .warning, "error": .error][logLevel]
    }

    /// Sets the log format and level; first thing a command does, before it logs.
    func configureLogging() {
        Log.configure(format: Log.Format(rawValue: logFormat) ?? .text, level: logLevelValue ?? .info)
    }

    /// The transport configuration; `defaultMaxMessage` differs between echo and serve.
    func configuration(defaultPort: UInt16, defaultMaxMessage: Int, defaultDeflateMinSize: Int) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port ?? defaultPort
        configuration.threads = threads ?? PosixThread.availableCores
        configuration.webSocket.maxMessageSize = maxMessageSize ?? defaultMaxMessage
        // One frame may carry a whole message: a compressed 16 MiB message of random
        // bytes is a little over 16 MiB on the wire.
        configuration.webSocket.maxFrameSize = maxFrameSize ?? configuration.webSocket.maxMessageSize
        configuration.handshakeTimeout = handshakeTimeout
        configuration.idlePingInterval = idlePing
        configuration.sendTimeout = sendTimeout
        configuration.maxConnectionsPerAddress = maxConnectionsPerAddress
        configuration.shutdownGrace = shutdownGrace
        configuration.maxQueuedOutput = maxQueuedOutput
        configuration.deflate.enabled = !noDeflate
        configuration.deflate.mode = deflateShared ? .sharedPerLoop : .contextTakeover
        configuration.deflate.minimumSize = deflateMinSize ?? defaultDeflateMinSize
        if let tlsCert, let tlsKey {
            do {
                configuration.tls = try TLSCertificateStore(certificatePath: tlsCert, keyPath: tlsKey)
            } catch {
                throw ValidationError("TLS: \(error)")
            }
        }
        return configuration
    }
}

/// Starts a server, prints where it listens, and serves until SIGINT or SIGTERM;
/// then shuts down gracefully (1001 to every WebSocket) and returns.
/// `banner` gets the base URL (`http://HOST:PORT`) once the port is known and returns
/// lines to print after the "listening on" line (empty: none).
func runUntilSignalled<App>(_ server: WebSocketServer<App>, name: String, logLevel: Log.Level,
                            banner: (String) -> String = { _ in "" }) throws {
    Log.setLevel(logLevel)  // the format was chosen before anything was logged (TransportOptions.configureLogging)
    // Block the signals before the loop threads start so that they inherit the mask
    // and only this thread receives them.
    Signals.blockShutdownSignals()
    try server.start()
    let configuration = server.configuration
    let scheme = configuration.tls == nil ? "ws" : "wss"
    print("switchboard \(name) listening on \(configuration.host):\(server.port) (\(scheme), \(configuration.threads) thread\(configuration.threads == 1 ? "" : "s"))")
    let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
    let lines = banner("\(configuration.tls == nil ? "http" : "https")://\(host):\(server.port)")
    if !lines.isEmpty { print(lines) }
    fflush(nil)
    while true {
        let signal = Signals.wait()
        if signal == 1 {
            if let certificates = configuration.tls {
                // New connections get the new certificate; open ones keep theirs.
                do {
                    try certificates.reload()
                    Log.info("SIGHUP: reloaded the TLS certificate and key from \(certificates.certificatePath)")
                } catch {
                    Log.error("SIGHUP: could not reload TLS (\(error)); still serving the previous certificate")
                }
            } else {
                Log.info("SIGHUP: nothing to reload")
            }
            continue
        }
        Log.info("signal \(signal): shutting down (closing WebSockets with 1001, grace \(configuration.shutdownGrace) s)")
        server.shutdown()
        Log.info("stopped")
        return
    }
}
