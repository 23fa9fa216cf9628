#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ChatServer
import Posix
import Redis
import WebAssets

/// `switchboard serve`: the chat broker (`ChatServer.Broker`) on the transport, with
/// the operator endpoints on the same port.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the chat broker (default command).",
        discussion: """
        WebSockets /v1/ws/customer, /v1/ws/agent and /v1/ws/supervisor (subprotocol switchboard.v1; protocol/README.md), \
        and GET /healthz, GET /metrics (Prometheus text), GET /v1/stats and GET /v1/cluster (JSON) on the same port, with the web clients \
        built into the binary: / (a demo store page with the chat widget), /widget.js, /console (agents), /dashboard \
        (supervisors). Works with no \
        configuration: port 8080, data in ./data, the default queues, no agents. The configuration file is TOML \
        (protocol/configuration.md); a bad file stops the start with its line and the reason.
        """
    )

    @OptionGroup var transport: TransportOptions

    @Option(help: "Configuration file (TOML, protocol/configuration.md). Optional: the defaults serve.")
    var config: String?

    @Option(help: "Directory for transcripts (in transcripts/ under it) and other data.")
    var dataDir = "./data"

    @Option(help: "When transcripts are synced to disk: always, never, or an interval such as 5ms (overrides the file's [transcripts] fsync; protocol/storage.md).")
    var fsync: String?

    @Option(name: .customLong("cluster"), help: ArgumentHelp(
        "Join a cluster of nodes sharing this Redis (redis://[:PASSWORD@]HOST:PORT[/DB]; protocol/cluster.md). Absent: one node on its own.",
        valueName: "redis-url"))
    var clusterURL: String?

    @Option(help: "This node's name in the cluster, unique among the nodes (letters, digits, '.', '_', '-'). Default: the host name.")
    var nodeName: String?

    mutating func run() throws {
        transport.configureLogging()
        var brokerConfiguration = BrokerConfiguration()
        if let config {
            do {
                brokerConfiguration = try ConfigurationFile.load(path: config)
            } catch {
                printError("switchboard: configuration file \(config): \(error)")
                throw ExitCode(78)  // EX_CONFIG
            }
        }
        if let clusterURL {
            do {
                brokerConfiguration.cluster.redis = try RedisAddress(url: clusterURL)
            } catch {
                throw ValidationError("--cluster: \(error)")
            }
        }
        if let nodeName {
            if let problem = ClusterConfiguration.problem(withNodeName: nodeName) { throw ValidationError("--node-name: \(problem)") }
            brokerConfiguration.cluster.nodeName = nodeName
        }
        brokerConfiguration.webPages = WebPages(files: WebAssets.files.map { ($0.name, $0.etag, $0.text) })
        if mkdir(dataDir, 0o750) != 0 && errno != EEXIST {
            // Not fatal: the broker serves, holds transcripts in memory, reports the
            // failure (/healthz, /metrics) and retries the directory every second.
            printError("switchboard: cannot create data directory \(dataDir): \(PosixError(errno: errno, function: "mkdir"))")
        }
        brokerConfiguration.transcripts.directory = dataDir + "/transcripts"
        if let fsync {
            switch fsync {
            case "always": brokerConfiguration.transcripts.fsync = .always
            case "never": brokerConfiguration.transcripts.fsync = .never
            default:
                guard fsync.hasSuffix("ms"), let ms = Int(fsync.dropLast(2)), (1...10_000).contains(ms) else {
                    throw ValidationError("--fsync takes always, never or an interval from 1ms to 10000ms, not '\(fsync)'")
                }
                brokerConfiguration.transcripts.fsync = .interval(milliseconds: ms)
            }
        }
        var configuration = try transport.configuration(defaultPort: 8080, defaultMaxMessage: 64 * 1024, defaultDeflateMinSize: 64)
        if configuration.maxConnectionsPerAddress == 0 {
            configuration.maxConnectionsPerAddress = brokerConfiguration.limits.maxConnectionsPerAddress
        }
        // No configuration file: a demo that works at any hour (open around the clock,
        // the default queues) with staff accounts of its own in the data directory.
        var demo: (created: [DemoStaff.Account], logins: [(String, String)])?
        if config == nil {
            do {
                let staff = try DemoStaff.prepare(directory: dataDir)
                brokerConfiguration.agents = staff.agents
                brokerConfiguration.supervisors = staff.supervisors
                demo = (staff.created, staff.agents.map { ($0.handle, "agent") } + staff.supervisors.map { ($0.login, "supervisor") })
            } catch {
                printError("switchboard: staff accounts: \(error)")
                throw ExitCode(78)
            }
        } else if brokerConfiguration.agents.isEmpty {
            print("""
            switchboard serve: no agents are configured, so customers will be offered "leave a message". To add one: \
            `echo -n 'SECRET' | switchboard hash-secret`, then put [[agents]] with handle, name, skills and \
            secret = "<the hash>" in a TOML file (protocol/configuration.md) and start with --config FILE.
            """)
        }
        // The broker starts threads of its own (domain, sign-in, spill writer): they must
        // inherit the blocked shutdown signals, or SIGTERM may land on one of them and
        // kill the process before the transcripts are synced.
        Signals.blockShutdownSignals()
        let broker: Broker
        do {
            broker = try Broker(configuration: brokerConfiguration, transport: configuration)
        } catch {
            printError("switchboard: \(error)")
            throw ExitCode(78)
        }
        let dataDir = self.dataDir
        try runUntilSignalled(broker.server, name: "serve", logLevel: transport.logLevelValue ?? .info) { base in
            guard let demo else { return "" }
            return DemoBanner.text(base: base, dataDirectory: dataDir, created: demo.created, logins: demo.logins)
        }
        guard broker.stop() else {
            // Transcript records the disk refused to the end are lost (logged, with how
            // many); none of them was acknowledged. Exit 74 (EX_IOERR) says so.
            throw ExitCode(74)
        }
    }
}

func printError(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
