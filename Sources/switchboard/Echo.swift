import ArgumentParser
import EventLoop
import HTTP
import WebSocket
import WebSocketServer

/// `switchboard echo`: a WebSocket echo server on the broker's transport, for
/// conformance suites (Autobahn via kosoku) and transport benchmarks.
struct Echo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a WebSocket echo server (any path) on the broker's transport.",
        discussion: "Echoes every text and binary message back as the same type. Used by the Autobahn conformance run and the transport benchmark."
    )

    @OptionGroup var transport: TransportOptions

    mutating func run() throws {
        transport.configureLogging()
        let configuration = try transport.configuration(defaultPort: 9001, defaultMaxMessage: 64 * 1024 * 1024, defaultDeflateMinSize: 0)
        let server = WebSocketServer(configuration: configuration) { _ in EchoApplication() }
        try runUntilSignalled(server, name: "echo", logLevel: transport.logLevelValue ?? .info)
    }
}

/// Echoes each message back on the same connection. One per loop; no state.
final class EchoApplication: WebSocketApplication {
    func route(_ request: HTTPRequest, connection: ServerConnection<EchoApplication>) -> Route {
        .upgrade(Handshake.Policy())
    }

    func opened(_ connection: ServerConnection<EchoApplication>) {}

    @inline(__always)
    func received(_ connection: ServerConnection<EchoApplication>, opcode: Opcode, payload: UnsafeRawBufferPointer) {
        connection.send(opcode, payload)
    }

    func closed(_ connection: ServerConnection<EchoApplication>, code: CloseCode?) {}
}
