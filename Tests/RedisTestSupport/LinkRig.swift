#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import Posix
import Redis
import RedisClient
import Synchronization

/// A `RedisConnection` on an event loop of its own thread, driven from the test
/// thread: `perform` runs a closure on the loop, replies are collected in `replies`.
public final class LinkRig: @unchecked Sendable {
    public let loop: EventLoop
    private let thread: PosixThread
    // Touched on the loop thread only (through `perform`).
    public private(set) var connection: RedisConnection!
    public let replies = Mutex<[Result<RESPValue, RedisFailure>]>([])
    public let states = Mutex<[RedisConnection.State]>([])

    public init(address: RedisAddress, replyTimeout: UInt64? = nil) throws {
        loop = try EventLoop(id: 7, readBufferSize: 4096)
        let loop = self.loop
        thread = try PosixThread(name: "redis-test") { loop.run() }
        perform { rig in
            rig.connection = RedisConnection(loop: rig.loop, address: address)
            if let replyTimeout { rig.connection.replyTimeout = replyTimeout }
            rig.connection.stateChanged = { state in rig.states.withLock { $0.append(state) } }
            rig.connection.start()
        }
    }

    /// Runs `body` on the loop thread and returns once it has run.
    public func perform(_ body: @escaping (LinkRig) -> Void) {
        let done = Atomic<Bool>(false)
        let bound = LoopBound(self)
        nonisolated(unsafe) let body = body
        loop.execute {
            body(bound.value)
            done.store(true, ordering: .releasing)
        }
        _ = Self.wait { done.load(ordering: .acquiring) }
    }

    /// Sends commands in one batch; replies land in `replies` in arrival order.
    public func send(_ commands: [RedisCommand]) {
        perform { rig in
            for command in commands {
                rig.connection.send(command) { result in rig.replies.withLock { $0.append(result) } }
            }
        }
    }

    public func waitForReplies(_ count: Int, seconds: Double = 10) -> [Result<RESPValue, RedisFailure>] {
        _ = Self.wait(seconds: seconds) { replies.withLock { $0.count >= count } }
        return replies.withLock { all in
            defer { all.removeAll() }
            return all
        }
    }

    public func waitUntil(seconds: Double = 10, _ condition: @escaping (RedisConnection.State) -> Bool) -> Bool {
        Self.wait(seconds: seconds) {
            let holds = Mutex(false)
            perform { rig in holds.withLock { $0 = condition(rig.connection.state) } }
            return holds.withLock { $0 }
        }
    }

    public func stop() {
        perform { rig in rig.connection.close() }
        loop.stop()
        thread.join()
    }

    public static func wait(seconds: Double = 10, until condition: () -> Bool) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        while !condition() {
            if monotonicNanoseconds() > deadline { return false }
            usleep(2_000)
        }
        return true
    }
}

extension RedisConnection.State {
    public var isUp: Bool { self == .up }
    public var isDown: Bool { if case .down = self { return true } else { return false } }
}
