#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import Posix
import Synchronization

/// Runs a `WebSocketApplication` on N event loops, one thread each, each with its own
/// listening socket on the same port (SO_REUSEPORT: the kernel spreads connections).
/// Created and stopped from the main thread.
public final class WebSocketServer<App: WebSocketApplication>: Sendable {
    public let configuration: ServerConfiguration
    private let makeApplication: @Sendable (EventLoop) -> App
    /// A loop made by the caller to serve as loop 0 (it must have id 0 and not run yet):
    /// the broker's domain shares its only I/O loop this way.
    private let firstLoop: EventLoop?
    private let state = Mutex<State>(State())

    private struct State {
        var loops: [EventLoop] = []
        var threads: [PosixThread] = []
        var drains: [@Sendable () -> Void] = []
        var port: UInt16 = 0
    }

    public init(configuration: ServerConfiguration, firstLoop: EventLoop? = nil,
                makeApplication: @escaping @Sendable (EventLoop) -> App) {
        precondition(firstLoop == nil || firstLoop!.id == 0, "the first loop has id 0")
        self.configuration = configuration
        self.firstLoop = firstLoop
        self.makeApplication = makeApplication
    }

    /// The port actually bound (useful with port 0).
    public var port: UInt16 { state.withLock { $0.port } }

    /// Binds and starts the loops; returns once every loop is accepting.
    public func start() throws {
        switchboard_ignore_sigpipe_once()
        var port = configuration.port
        if port != 0 {
            do {
                try Socket.ensureNobodyListens(host: configuration.host, port: port)
            } catch let error as PosixError where error.errno == EADDRINUSE {
                throw AddressInUse(host: configuration.host, port: port)
            }
        }
        var listeners: [Int32] = []
        for _ in 0..<max(1, configuration.threads) {
            let fd = try Socket.listen(host: configuration.host, port: port, reusePort: true)
            if port == 0 { port = Socket.localPort(fd) }
            listeners.append(fd)
        }
        let addressCounts = configuration.maxConnectionsPerAddress > 0 ? AddressCounts() : nil
        let queuedOutput = configuration.maxQueuedOutput > 0 ? QueuedOutput(limit: configuration.maxQueuedOutput) : nil
        let ready = Atomic<Int>(0)
        for (index, listenFD) in listeners.enumerated() {
            let loop = try (index == 0 ? firstLoop : nil) ?? EventLoop(id: index)
            let configuration = self.configuration
            let makeApplication = self.makeApplication
            let drainBox = DrainHook()
            let thread = try PosixThread(name: "loop-\(index)") {
                do {
                    let context = try LoopContext(configuration: configuration, loop: loop, listenFD: listenFD,
                                                  application: makeApplication(loop), addressCounts: addressCounts, queuedOutput: queuedOutput,
                                                  onDrained: { loop.stop() })
                    let bound = LoopBound(context)
                    drainBox.set { loop.execute { bound.value.drain() } }
                } catch {
                    Log.error("loop \(index) failed to start: \(error)")
                    loop.stop()
                }
                ready.add(1, ordering: .releasing)
                loop.run()
            }
            state.withLock {
                $0.loops.append(loop)
                $0.threads.append(thread)
                $0.drains.append { drainBox.fire() }
            }
        }
        while ready.load(ordering: .acquiring) < listeners.count { usleepMicroseconds(1000) }
        state.withLock { $0.port = port }
    }

    /// Graceful shutdown: stop accepting, close every WebSocket with 1001, wait up to
    /// `shutdownGrace` for peers to answer, then return once every loop has stopped.
    public func shutdown() {
        let (drains, threads) = state.withLock { ($0.drains, $0.threads) }
        for drain in drains { drain() }
        for thread in threads { thread.join() }
    }

    /// Waits for the loops without stopping them (they stop after `shutdown`).
    public func wait() {
        for thread in state.withLock({ $0.threads }) { thread.join() }
    }
}

/// Holds the closure that starts a loop's drain, set on the loop's thread once its
/// context exists and fired from the main thread at shutdown.
private final class DrainHook: Sendable {
    private let action = Mutex<(@Sendable () -> Void)?>(nil)
    private let fired = Mutex<Bool>(false)

    func set(_ body: @escaping @Sendable () -> Void) {
        let alreadyFired = fired.withLock { $0 }
        action.withLock { $0 = body }
        if alreadyFired { body() }
    }

    func fire() {
        fired.withLock { $0 = true }
        action.withLock { $0 }?()
    }
}

/// Another process already listens where the server was asked to (it would otherwise
/// share the port through SO_REUSEPORT without a word).
public struct AddressInUse: Error, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    public var description: String {
        "\(host):\(port) is in use: another process (another switchboard?) listens there; stop it or choose another --port"
    }
}
