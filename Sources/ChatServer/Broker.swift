import ChatCore
import EventLoop
import Posix
import Synchronization
import WebSocketServer

/// The chat broker: the transport's I/O loops running `ChatEndpoints`, the domain
/// thread that owns the `ServiceDesk`, and the sign-in thread that checks staff
/// secrets (protocol/threading.md).
///
/// Made and stopped on the main thread: `init` starts the domain and sign-in threads,
/// `server.start()` (or `runUntilSignalled`) starts the I/O loops, and `stop()`, after
/// the server's shutdown, ends the other two.
public final class Broker: Sendable {
    public let server: WebSocketServer<ChatEndpoints>
    let shared: BrokerShared
    private let threads: [PosixThread]
    /// Closed (synced, writer stopped) in `stop`, after the domain thread has ended.
    private let store: LoopBound<DiskTranscripts>
    /// This broker as a cluster node; nil on a single node.
    private let node: LoopBound<ClusterNode>?

    public init(configuration: BrokerConfiguration, transport: ServerConfiguration) throws(ConfigurationError) {
        let metrics = BrokerMetrics()
        let directory: StaffDirectory
        let domain: EventLoop
        let signIn: EventLoop
        let desk: ServiceDesk
        let health = TranscriptHealth()
        let store: DiskTranscripts
        do {
            directory = try StaffDirectory(agents: configuration.agents, supervisors: configuration.supervisors)
        } catch {
            throw ConfigurationError(line: nil, key: "secret", reason: error.reason)
        }
        // With one I/O loop the domain runs on it: a message then goes read → desk →
        // write on one thread, without two wake-ups and two context switches per
        // hand-off (protocol/threading.md, "One loop"). With several, it has its own.
        let domainOnTheLoop = transport.threads <= 1
        do {
            domain = try domainOnTheLoop ? EventLoop(id: 0) : EventLoop(id: 1_000, readBufferSize: 16)
            signIn = try EventLoop(id: 1_001, readBufferSize: 16)
        } catch {
            throw ConfigurationError(line: nil, key: nil, reason: "cannot make the domain loop: \(error)")
        }
        // Recovery runs here, before any thread serves: the store is the desk's from now on.
        store = DiskTranscripts(configuration: configuration.transcripts, domain: domain, health: health)
        let outbox = Outbox(domain: domain, transcripts: store)
        let cluster: ClusterStatus
        let listening = ListeningServer()
        let node: ClusterNode?
        do {
            if let redis = configuration.cluster.redis {
                let timeout = configuration.cluster.leaseTimeout
                cluster = ClusterStatus(figures: .init(clustered: true, node: configuration.cluster.nodeName, redis: redis.description,
                                                       leaseTimeoutMilliseconds: timeout.components.seconds * 1000
                                                           + timeout.components.attoseconds / 1_000_000_000_000_000))
                let (host, port) = (transport.host, transport.port)
                // Before the server binds, the configured port (0 until then when it is chosen).
                let clustered = try ClusterNode(loop: domain, configuration: configuration, address: redis, status: cluster,
                                                advertisedAddress: { "\(host):\(listening.port == 0 ? port : listening.port)" })
                node = clustered
                desk = try ServiceDesk(configuration: configuration, engine: clustered.replica.engine, commands: clustered.path,
                                       clock: clustered.clock, delivery: outbox, metrics: metrics, transcripts: store)
            } else {
                cluster = .single(node: configuration.cluster.nodeName)
                node = nil
                desk = try ServiceDesk(configuration: configuration, delivery: outbox, metrics: metrics, transcripts: store)
            }
        } catch {
            store.close()
            throw ConfigurationError(line: nil, key: nil, reason: error.description)
        }
        self.node = node.map(LoopBound.init)
        // The desk was made here but from now on is touched only on the domain thread:
        // the bound reference travels there through `execute` and the thread below.
        let bound = LoopBound(desk)
        store.released = { [unowned outbox] position in outbox.release(upTo: position) }
        self.store = LoopBound(store)
        // A sign-in waits for its hash a second less than an HTTP request waits for its
        // answer (at least half of it), so the line answers busy before the 408 would.
        let signInWait = max(transport.handshakeTimeout / 2, transport.handshakeTimeout - 1)
        let signIns = SignInLine(loop: signIn, directory: directory, capacity: configuration.limits.signInQueue,
                                 failuresPerMinute: configuration.limits.failedSignInsPerMinute,
                                 maxWait: UInt64(signInWait * 1_000_000_000))
        shared = BrokerShared(domain: domain, signIn: signIn, desk: bound, outbox: LoopBound(outbox), signIns: signIns, metrics: metrics,
                              limits: configuration.limits, allowedOrigins: configuration.allowedOrigins,
                              webPages: configuration.webPages, transcripts: health, cluster: cluster)
        let clusterNode = self.node
        let startDesk: @Sendable () -> Void = {
            // The desk's tick, every quarter second on the domain loop.
            domain.addTicker(TickAction { _ in bound.value.tick() })
            bound.value.tick()
            clusterNode?.value.start(desk: bound.value)
        }
        do {
            var threads = [try PosixThread(name: "sign-in") { signIn.run() }]
            if domainOnTheLoop {
                // Runs first thing once the server's loop 0 (this loop) starts.
                domain.execute(startDesk)
            } else {
                threads.append(try PosixThread(name: "domain") {
                    startDesk()
                    domain.run()
                })
            }
            self.threads = threads
        } catch {
            throw ConfigurationError(line: nil, key: nil, reason: "cannot start the domain thread: \(error)")
        }
        let shared = self.shared
        server = WebSocketServer(configuration: transport, firstLoop: domainOnTheLoop ? domain : nil) { loop in
            ChatEndpoints(loop: loop, shared: shared)
        }
        listening.set(server)
    }

    /// Ends the domain and sign-in threads; call after `server.shutdown()`. Returns
    /// false when transcript records could not be written before the end (logged;
    /// `switchboard serve` then exits 74).
    public func stop() -> Bool {
        shared.signIn.stop()
        // On the only I/O loop the domain stopped with the server; stopping it again is harmless.
        shared.domain.stop()
        for thread in threads { thread.join() }
        // The domain's thread is gone, so the desk may be touched here.
        shared.outbox.value.unregisterAll()
        node?.value.stop()
        if node != nil { shared.desk.value.letGoOfCluster() }
        return store.value.close() == nil
    }
}

/// What the I/O loops share with each other and with the domain thread: the loops to
/// hand work to, the desk (dereferenced only on the domain thread), the staff
/// directory and the metrics. Immutable; Sendable.
final class BrokerShared: Sendable {
    let domain: EventLoop
    let signIn: EventLoop
    let desk: LoopBound<ServiceDesk>
    /// The desk's delivery to the I/O loops (each loop registers its port there).
    let outbox: LoopBound<Outbox>
    /// Staff sign-ins waiting for the sign-in thread (with the staff directory).
    let signIns: SignInLine
    let metrics: BrokerMetrics
    let limits: BrokerLimits
    let allowedOrigins: [String]
    let webPages: WebPages
    let transcripts: TranscriptHealth
    /// This node and the cluster, for `/v1/cluster` and `/healthz`.
    let cluster: ClusterStatus

    init(domain: EventLoop, signIn: EventLoop, desk: LoopBound<ServiceDesk>, outbox: LoopBound<Outbox>, signIns: SignInLine,
         metrics: BrokerMetrics,
         limits: BrokerLimits, allowedOrigins: [String], webPages: WebPages = WebPages(),
         transcripts: TranscriptHealth = TranscriptHealth(), cluster: ClusterStatus = .single(node: "node")) {
        self.transcripts = transcripts
        self.cluster = cluster
        self.domain = domain
        self.signIn = signIn
        self.desk = desk
        self.outbox = outbox
        self.signIns = signIns
        self.metrics = metrics
        self.limits = limits
        self.allowedOrigins = allowedOrigins
        self.webPages = webPages
    }
}

/// The server once made, so that the cluster heartbeat can say which port it bound
/// (the server exists only after the membership, and binds later still). Holds the
/// server weakly: the server reaches the membership (through the desk), and a strong
/// reference back would keep the whole broker alive after it stopped. Sendable.
private final class ListeningServer: Sendable {
    private let weakServer = Mutex<WeakServer>(WeakServer())

    struct WeakServer: @unchecked Sendable {
        weak var server: WebSocketServer<ChatEndpoints>?
    }

    func set(_ server: WebSocketServer<ChatEndpoints>) { weakServer.withLock { $0.server = server } }
    var port: UInt16 { weakServer.withLock { $0.server?.port ?? 0 } }
}
