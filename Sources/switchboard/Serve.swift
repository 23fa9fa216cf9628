#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import EventLoop
import HTTP
import Posix
import Synchronization
import WebSocket
import WebSocketServer

/// `switchboard serve`: the broker. The transport and the operator endpoints are
/// here; the chat protocol, routing and transcripts arrive with their issues.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the chat broker (default command).",
        discussion: "Serves GET /healthz, GET /metrics (Prometheus text) and GET /v1/stats (JSON) on the same port as its WebSockets. Works with no configuration: port 8080, data in ./data."
    )

    @OptionGroup var transport: TransportOptions

    @Option(help: "Configuration file (TOML). Optional: the defaults serve.")
    var config: String?

    @Option(help: "Directory for transcripts and other data.")
    var dataDir = "./data"

    mutating func run() throws {
        if let config, access(config, R_OK) != 0 {
            throw ValidationError("cannot read configuration file \(config)")
        }
        if mkdir(dataDir, 0o750) != 0 && errno != EEXIST {
            throw ValidationError("cannot create data directory \(dataDir): \(PosixError(errno: errno, function: "mkdir"))")
        }
        let configuration = try transport.configuration(defaultPort: 8080, defaultMaxMessage: 64 * 1024, defaultDeflateMinSize: 64)
        let stats = BrokerStats(startedAt: monotonicNanoseconds())
        let server = WebSocketServer(configuration: configuration) { _ in OperatorEndpoints(stats: stats) }
        try runUntilSignalled(server, name: "serve", logLevel: transport.logLevelValue ?? .info)
    }
}

/// Counters every loop updates and any loop reads for /metrics and /v1/stats.
final class BrokerStats: Sendable {
    let startedAt: UInt64
    let connectionsOpen = Atomic<Int>(0)
    let connectionsTotal = Atomic<Int>(0)
    let messagesReceived = Atomic<Int>(0)

    init(startedAt: UInt64) { self.startedAt = startedAt }

    var uptimeSeconds: Double { Double(monotonicNanoseconds() &- startedAt) / 1e9 }
}

/// The operator's HTTP endpoints. WebSocket upgrades are refused until the chat
/// protocol lands (issue: wire protocol and routing).
final class OperatorEndpoints: WebSocketApplication {
    let stats: BrokerStats

    init(stats: BrokerStats) { self.stats = stats }

    func route(_ request: HTTPRequest, connection: ServerConnection<OperatorEndpoints>) -> Route {
        let path = request.path
        guard ["/healthz", "/metrics", "/v1/stats"].contains(path) else {
            return .respond(.text(.notFound, "no such resource: \(path)\n"))
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .respond(.text(.methodNotAllowed, "\(path) answers GET only\n", headers: [("Allow", "GET, HEAD")]))
        }
        switch path {
        case "/healthz":
            return .respond(.text(.ok, "ok\n"))
        case "/metrics":
            let body = """
            # HELP switchboard_connections_open Open WebSocket connections.
            # TYPE switchboard_connections_open gauge
            switchboard_connections_open \(stats.connectionsOpen.load(ordering: .relaxed))
            # HELP switchboard_connections_total WebSocket connections opened since start.
            # TYPE switchboard_connections_total counter
            switchboard_connections_total \(stats.connectionsTotal.load(ordering: .relaxed))
            # HELP switchboard_messages_received_total WebSocket messages received.
            # TYPE switchboard_messages_received_total counter
            switchboard_messages_received_total \(stats.messagesReceived.load(ordering: .relaxed))
            # HELP switchboard_uptime_seconds Seconds since the broker started.
            # TYPE switchboard_uptime_seconds gauge
            switchboard_uptime_seconds \(stats.uptimeSeconds)

            """
            return .respond(HTTPResponse(status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(body.utf8)))
        default:
            let body = "{\"uptime_seconds\":\(stats.uptimeSeconds),\"connections_open\":\(stats.connectionsOpen.load(ordering: .relaxed)),\"messages_received\":\(stats.messagesReceived.load(ordering: .relaxed))}\n"
            return .respond(HTTPResponse(status: .ok, headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
        }
    }

    func opened(_ connection: ServerConnection<OperatorEndpoints>) {
        stats.connectionsOpen.add(1, ordering: .relaxed)
        stats.connectionsTotal.add(1, ordering: .relaxed)
    }

    func received(_ connection: ServerConnection<OperatorEndpoints>, opcode: Opcode, payload: UnsafeRawBufferPointer) {
        stats.messagesReceived.add(1, ordering: .relaxed)
    }

    func closed(_ connection: ServerConnection<OperatorEndpoints>, code: CloseCode?) {
        stats.connectionsOpen.add(-1, ordering: .relaxed)
    }
}
