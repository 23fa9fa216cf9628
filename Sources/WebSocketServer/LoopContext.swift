#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import HTTP
import Posix
import Synchronization
import WebSocket
import WebSocketDeflate
import TLS
import ByteBuffers

/// Per-loop server state: the listener, the application instance, the open
/// connections, and the shutdown drain. Owned by the loop's thread.
final class LoopContext<App: WebSocketApplication>: Selectable {
    let configuration: ServerConfiguration
    unowned let loop: EventLoop
    let application: App
    let addressCounts: AddressCounts?
    /// Unsent bytes of all loops' connections, when limited.
    let queuedOutput: QueuedOutput?
    private var sheddingScheduled = false
    /// The listening socket; -1 once closed for shutdown.
    private(set) var fd: Int32
    private var accepting = true
    private(set) var connectionCount = 0
    private var draining = false
    private var drainDeadline: UInt64 = 0
    private let onDrained: @Sendable () -> Void
    /// Compression contexts shared by this loop's connections (shared mode only).
    private(set) lazy var sharedDeflate = SharedDeflateContexts(configuration: configuration.deflate)
    /// Scratch space for one inflated message and one compressed message at a time.
    let inflated = ByteBuffer()
    let deflated = ByteBuffer()

    init(configuration: ServerConfiguration, loop: EventLoop, listenFD: Int32, application: App,
         addressCounts: AddressCounts?, queuedOutput: QueuedOutput?, onDrained: @escaping @Sendable () -> Void) throws {
        self.configuration = configuration
        self.loop = loop
        self.fd = listenFD
        self.application = application
        self.addressCounts = addressCounts
        self.queuedOutput = queuedOutput
        self.onDrained = onDrained
        try loop.register(self, interest: .read)
    }

    // MARK: Accepting

    func handleEvent(_ flags: EpollFlags) {
        // Bounded, so one loop's accept burst cannot starve its open connections.
        for _ in 0..<64 {
            let accepted: (fd: Int32, peer: SocketAddress)
            do {
                switch try Socket.accept(fd) {
                case .wouldBlock: return
                case .processed(let result): accepted = result
                }
            } catch {
                if error.errno == EMFILE || error.errno == ENFILE {
                    // Out of descriptors: stop accepting until the next tick rather than
                    // spin on a listener that stays readable.
                    Log.warning("accept: \(error); pausing accepts")
                    accepting = false
                    loop.setInterest(self, [])
                }
                return
            }
            Socket.setNoDelay(accepted.fd)
            var tls: TLSSession?
            if let certificates = configuration.tls {
                do {
                    tls = try TLSSession(context: certificates.context, fd: accepted.fd, isServer: true)
                } catch {
                    Log.error("TLS session: \(error)")
                    Socket.close(accepted.fd)
                    continue
                }
            }
            let connection = ServerConnection<App>(fd: accepted.fd, peer: accepted.peer, loop: loop, context: self, tls: tls)
            do {
                try loop.register(connection, interest: .read)
            } catch {
                Socket.close(accepted.fd)
                continue
            }
            connectionCount += 1
            if let addressCounts, !addressCounts.admit(accepted.peer.host, limit: configuration.maxConnectionsPerAddress) {
                connection.overAddressLimit = true
            }
        }
    }

    func tick(now: UInt64) {
        if !accepting && !draining {
            accepting = true
            loop.setInterest(self, .read)
        }
        if draining && (connectionCount == 0 || now > drainDeadline) {
            for case let connection as ServerConnection<App> in loop.allHandlers {
                connection.teardown(reason: nil, abort: true)
            }
            draining = false
            onDrained()
        }
    }

    func route(_ request: HTTPRequest, connection: ServerConnection<App>) -> Route {
        if connection.overAddressLimit {
            return .respond(.text(.tooManyRequests, "too many connections from \(connection.peer.host)\n"))
        }
        return application.route(request, connection: connection)
    }

    func connectionClosed(_ connection: ServerConnection<App>) {
        connectionCount -= 1
        if !connection.overAddressLimit { addressCounts?.release(connection.peer.host) }
    }

    // MARK: Output budget

    /// A connection's queue pushed the server's total past `maxQueuedOutput`: on the
    /// next loop turn (not inside that connection's own write), drop this loop's
    /// connections with the longest queues until the total is under the limit again.
    func outputOverLimit() {
        guard !sheddingScheduled else { return }
        sheddingScheduled = true
        let context = LoopBound(self)
        loop.execute { context.value.shedLongestQueues() }
    }

    private func shedLongestQueues() {
        sheddingScheduled = false
        guard let queuedOutput else { return }
        var connections = loop.allHandlers.compactMap { $0 as? ServerConnection<App> }.filter { $0.unsentBytes > 0 }
        connections.sort { $0.unsentBytes > $1.unsentBytes }
        for connection in connections {
            guard queuedOutput.bytes > queuedOutput.limit else { break }
            Log.warning("\(connection.peer): closing (1008): \(queuedOutput.bytes) unsent bytes queued in all exceed "
                        + "--max-queued-output \(queuedOutput.limit); this connection held the most here (\(connection.unsentBytes))")
            connection.teardown(reason: nil, abort: true)
        }
    }

    // MARK: Shutdown

    /// Stops accepting and closes every connection (WebSockets with 1001); calls
    /// `onDrained` when all are gone or the grace period is over.
    func drain() {
        if fd >= 0 {
            loop.deregister(self)
            Socket.close(fd)
            fd = -1
        }
        draining = true
        drainDeadline = loop.now &+ configuration.shutdownGrace.nanoseconds
        for case let connection as ServerConnection<App> in loop.allHandlers { connection.goAway() }
        // Keep ticking for the drain deadline although we left the loop's table.
        loop.addTicker(self)
    }
}

/// Open connections per IP address, shared by all loops (only when a limit is set).
final class AddressCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func admit(_ host: String, limit: Int) -> Bool {
        counts.withLock { counts in
            let current = counts[host, default: 0]
            guard current < limit else { return false }
            counts[host] = current + 1
            return true
        }
    }

    func release(_ host: String) {
        counts.withLock { counts in
            if let current = counts[host] { counts[host] = current > 1 ? current - 1 : nil }
        }
    }
}
