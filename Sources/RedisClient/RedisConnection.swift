import DequeModule
import EventLoop
import Posix
import Redis

/// One pipelined TCP link to a Redis server, on one event loop (its thread only).
///
/// Commands are written in the order `send` is called, batched into one write per
/// loop iteration, and their replies are matched to them in that order (Redis answers
/// a connection's commands in order). Nothing blocks: connecting, writing and reading
/// follow epoll. When the link breaks, every command still waiting fails with
/// `.disconnected` (it may have run), new ones fail with `.unavailable` at once, and the
/// link is opened again after a backoff that doubles from 100 ms to 2 s. A command
/// that gets no answer within `replyTimeout`, while nothing at all is heard on the link
/// for that long, counts as a broken link: a stalled server must not hold replies
/// hostage forever (a long pipeline answered slowly is not a stall).
public final class RedisConnection: Selectable, Flushable {
    public enum State: Sendable, Equatable {
        case connecting
        case up
        case down(String)
    }

    public typealias Completion = (Result<RESPValue, RedisFailure>) -> Void

    public let loop: EventLoop
    public let address: RedisAddress
    public private(set) var state: State = .down("not started")
    /// Called on the loop whenever `state` changes.
    public var stateChanged: ((State) -> Void)?
    public private(set) var fd: Int32 = -1
    /// Bytes waiting for the socket, at most this many.
    public static let maxBacklog = 64 * 1024 * 1024
    public var replyTimeout: UInt64 = 3_000_000_000

    private var decoder = RESPDecoder()
    private var outbound: [UInt8] = []
    private var flushScheduled = false
    private var wantsWrite = false
    /// Commands written (or queued to be) and not yet answered, oldest first.
    private var waiting: Deque<(sentAt: UInt64, completion: Completion)> = []
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var retryAt: UInt64 = 0
    private var backoff: UInt64 = 100_000_000
    private var stopped = false
    /// Commands answered since start, for `/v1/cluster` and tests.
    public private(set) var replies: UInt64 = 0
    /// Set for a subscriber link (RESP2 "Pub/Sub"): every value the server sends goes
    /// here, none is matched to a command, and commands go out with `write`. Set it
    /// before `start`.
    public var pushHandler: ((RESPValue) -> Void)?
    /// When the server last sent anything (monotonic), for a subscriber's liveness check.
    public private(set) var lastHeard: UInt64 = 0

    public init(loop: EventLoop, address: RedisAddress) {
        self.loop = loop
        self.address = address
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit { readBuffer.deallocate() }

    /// Opens the link (and keeps it open until `close`). Loop thread only.
    public func start() {
        loop.addTicker(TickAction { [unowned self] now in timerTick(now: now) })
        connect()
    }

    /// Queues a command. The completion runs on the loop, later, never inside `send`.
    public func send(_ command: RedisCommand, _ completion: @escaping Completion) {
        guard case .up = state else {
            let reason: String
            if case .down(let why) = state { reason = why } else { reason = "connecting to \(address)" }
            later { completion(.failure(.unavailable(reason))) }
            return
        }
        guard enqueue(command) else {
            later { completion(.failure(.backlogFull)) }
            return
        }
        waiting.append((loop.now, completion))
    }

    /// Adds the command's bytes to what the next flush writes; false past the backlog limit.
    private func enqueue(_ command: RedisCommand) -> Bool {
        guard outbound.count + command.bytes.count <= Self.maxBacklog else { return false }
        outbound += command.bytes
        if !flushScheduled {
            flushScheduled = true
            loop.scheduleFlush(self)
        }
        return true
    }

    /// Writes a command whose answers come to `pushHandler` (subscriber links only).
    /// Dropped while the link is not up: a subscriber says again what it wants when the
    /// link comes back (`stateChanged`).
    public func write(_ command: RedisCommand) {
        precondition(pushHandler != nil, "write is for subscriber links; use send")
        guard case .up = state else { return }
        _ = enqueue(command)
    }

    /// Drops the link now and opens it again after the backoff (a subscriber that
    /// heard nothing for too long).
    public func reconnect(because reason: String) {
        guard case .up = state else { return }
        drop(reason)
    }

    /// Closes the link for good; waiting commands fail with `.disconnected`.
    public func close() {
        stopped = true
        drop("closed")
    }

    // MARK: Loop callbacks

    public func handleEvent(_ flags: EpollFlags) {
        if case .connecting = state {
            guard flags.writable || flags.failed else { return }
            let error = Socket.pendingError(fd)
            guard error == 0 else {
                drop("cannot connect to \(address): \(PosixError(errno: error, function: "connect"))")
                return
            }
            becomeUp()
            return
        }
        if flags.writable && wantsWrite { flush() }
        if flags.readable { readAll() }
    }

    public func tick(now: UInt64) {}

    public func flush() {
        flushScheduled = false
        guard case .up = state, !outbound.isEmpty else { return }
        var written = 0
        while written < outbound.count {
            let result = outbound.withUnsafeBytes { bytes in
                Result { () throws(PosixError) in try Socket.send(fd, UnsafeRawBufferPointer(rebasing: bytes[written...])) }
            }
            switch result {
            case .success(.processed(let count)): written += count
            case .success(.wouldBlock):
                outbound.removeFirst(written)
                setWriteInterest(true)
                return
            case .failure(let error):
                drop("write to \(address) failed: \(error)")
                return
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        setWriteInterest(false)
    }

    // MARK: Internals

    private func connect() {
        state = .connecting
        do {
            let (socket, inProgress) = try Socket.connect(host: address.host, port: address.port)
            fd = socket
            Socket.setNoDelay(fd)
            try loop.register(self, interest: [.read, .write])
            stateChanged?(state)
            if !inProgress { becomeUp() }
        } catch {
            drop("cannot connect to \(address): \(error)")
        }
    }

    private func becomeUp() {
        state = .up
        lastHeard = loop.now
        backoff = 100_000_000
        loop.setInterest(self, .read)
        wantsWrite = false
        // Credentials and database first: replies come back in order, so a failure of
        // either shows as the first reply and drops the link with its text.
        if let password = address.password {
            let auth = address.user.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)
            send(auth) { [unowned self] in if case .failure(let failure) = $0 { drop("AUTH refused: \(failure)") } }
        }
        if address.database != 0 {
            send(RedisCommand("SELECT", address.database)) { [unowned self] in
                if case .failure(let failure) = $0 { drop("SELECT \(address.database) refused: \(failure)") }
            }
        }
        stateChanged?(state)
    }

    private func readAll() {
        while fd >= 0 {
            let result = Result { () throws(PosixError) in try Socket.read(fd, into: readBuffer) }
            switch result {
            case .success(.processed(0)):
                drop("Redis at \(address) closed the connection")
                return
            case .success(.processed(let count)):
                decoder.append(UnsafeRawBufferPointer(rebasing: readBuffer[..<count]))
                deliverReplies()
                if count < readBuffer.count { return }
            case .success(.wouldBlock):
                return
            case .failure(let error):
                drop("read from \(address) failed: \(error)")
                return
            }
        }
    }

    private func deliverReplies() {
        while fd >= 0 {
            let value: RESPValue?
            do {
                value = try decoder.next()
            } catch {
                drop("\(error)")
                return
            }
            guard let value else { return }
            lastHeard = loop.now
            if let pushHandler {
                pushHandler(value)
                continue
            }
            guard let (_, completion) = waiting.popFirst() else {
                drop("a reply nobody asked for")
                return
            }
            replies &+= 1
            if case .error(let text) = value {
                completion(.failure(.replied(text)))
            } else {
                completion(.success(value))
            }
        }
    }

    /// Closes the socket, fails what waits, and plans the next attempt.
    private func drop(_ reason: String) {
        if fd >= 0 {
            loop.deregister(self)
            Socket.close(fd)
            fd = -1
        }
        outbound.removeAll()
        decoder = RESPDecoder()
        wantsWrite = false
        let failed = waiting
        waiting.removeAll()
        state = .down(reason)
        retryAt = loop.now &+ backoff
        backoff = min(backoff * 2, 2_000_000_000)
        stateChanged?(state)
        for entry in failed { entry.completion(.failure(.disconnected(reason))) }
    }

    private func timerTick(now: UInt64) {
        if stopped { return }
        switch state {
        case .down:
            if now >= retryAt { connect() }
        case .connecting:
            break
        case .up:
            // A stalled server sends nothing. A busy node may read a long pipeline of
            // replies late, but it keeps hearing some: that is not a broken link.
            if let oldest = waiting.first, now &- oldest.sentAt > replyTimeout, now &- lastHeard > replyTimeout {
                drop("no reply from \(address) within \(replyTimeout / 1_000_000) ms")
            }
        }
    }

    private func setWriteInterest(_ on: Bool) {
        guard on != wantsWrite, fd >= 0 else { return }
        wantsWrite = on
        loop.setInterest(self, on ? [.read, .write] : .read)
    }

    /// Runs `body` later on the loop: a completion never runs inside its `send`.
    private func later(_ body: @escaping () -> Void) {
        let bound = LoopBound(Box(body))
        loop.execute { bound.value.body() }
    }

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
