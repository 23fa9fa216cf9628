#if canImport(Glibc)
import Glibc
#endif
import ByteBuffers
import Posix
import Synchronization

/// Something registered with an event loop: a listening socket or a connection.
/// Its methods run on the loop's thread only.
public protocol Selectable: AnyObject {
    var fd: Int32 { get }
    /// epoll reported the fd ready.
    func handleEvent(_ flags: EpollFlags)
    /// Called about every `EventLoop.tickInterval` for deadlines (handshake, idle ping,
    /// close and send timeouts); `now` is monotonic nanoseconds.
    func tick(now: UInt64)
}

/// One epoll event loop, run by one thread (STYLE: one loop per thread).
///
/// Everything registered here is touched only from the loop's thread. Other threads
/// hand work over with `execute`, which queues a closure and wakes the loop through an
/// eventfd. The loop owns one read buffer and one cork buffer shared by all its
/// connections, so an idle connection holds no buffers of its own.
public final class EventLoop: @unchecked Sendable {
    public let id: Int
    private let epoll: Epoll
    private let wakeup: EventFD
    /// Registered handlers by fd; fds are small integers, so an array beats a dictionary.
    private var handlers: [Selectable?] = []
    public private(set) var handlerCount = 0
    /// Tasks from other threads; nil once `run` has returned (later ones are dropped).
    private let tasks = Mutex<[@Sendable () -> Void]?>([])
    private let stopRequested = Atomic<Bool>(false)
    /// The thread running `run` (pthread_self), 0 before: a task queued from that very
    /// thread needs no eventfd write, since the loop looks at its queue again before it
    /// waits (see `run`).
    private let runner = Atomic<UInt>(0)
    /// Handlers with bytes queued for sending, flushed once at the end of an iteration.
    private var pendingFlush: [Flushable] = []

    /// One read buffer for every connection on this loop: a read lands here, is
    /// parsed (and unmasked) in place, and whatever is not finished is kept by the
    /// connection's parser. Size: large enough to take a burst in one read.
    public let readBuffer: UnsafeMutableRawBufferPointer
    /// One write buffer for the connection being served right now ("cork"): replies
    /// produced while handling a read are gathered here and sent with one syscall.
    public let cork = ByteBuffer(capacity: 64 * 1024)

    /// Cached monotonic time at the start of the current iteration.
    public private(set) var now: UInt64 = monotonicNanoseconds()
    public static let tickInterval: UInt64 = 250_000_000
    private var lastTick: UInt64 = 0

    public init(id: Int, readBufferSize: Int = 256 * 1024) throws {
        self.id = id
        epoll = try Epoll(maxEvents: 1024)
        wakeup = try EventFD()
        readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)
        try epoll.add(wakeup.fd, .read)
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: Registration (loop thread only)

    public func register(_ handler: Selectable, interest: Epoll.Interest) throws {
        let fd = Int(handler.fd)
        if fd >= handlers.count {
            handlers.append(contentsOf: repeatElement(nil, count: max(fd + 1 - handlers.count, handlers.count)))
        }
        precondition(handlers[fd] == nil, "fd \(fd) registered twice")
        try epoll.add(handler.fd, interest)
        handlers[fd] = handler
        handlerCount += 1
    }

    public func setInterest(_ handler: Selectable, _ interest: Epoll.Interest) {
        // Fails only for an fd we no longer own, which the bookkeeping above rules out.
        try? epoll.modify(handler.fd, interest)
    }

    /// Forgets a handler; the caller closes the fd afterwards.
    public func deregister(_ handler: Selectable) {
        let fd = Int(handler.fd)
        guard fd < handlers.count, handlers[fd] === handler else { return }
        epoll.remove(handler.fd)
        handlers[fd] = nil
        handlerCount -= 1
    }

    /// Every registered handler (for shutdown).
    public var allHandlers: [Selectable] { handlers.compactMap { $0 } }

    /// Asks for `flush()` at the end of this iteration (once per handler).
    public func scheduleFlush(_ handler: Flushable) {
        pendingFlush.append(handler)
    }

    /// Handlers that get ticks without being registered for events (a listener that
    /// stopped accepting but still drives a shutdown).
    private var tickers: [Selectable] = []

    public func addTicker(_ handler: Selectable) {
        tickers.append(handler)
    }

    // MARK: Cross-thread

    /// Runs `task` on the loop's thread soon. Safe from any thread. Once `run` has
    /// returned the task is dropped: a task may hold what holds the loop, and would
    /// keep it all alive. From the loop's own thread the task runs later in the same
    /// iteration, never inside the caller.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let queued = tasks.withLock { queue -> Bool in
            guard queue != nil else { return false }
            queue!.append(task)
            return true
        }
        if queued && !isLoopThread { wakeup.signal() }
    }

    /// True on the thread that runs this loop.
    public var isLoopThread: Bool {
        runner.load(ordering: .relaxed) == UInt(pthread_self())
    }

    /// Makes `run` return after the current iteration. Safe from any thread.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wakeup.signal()
    }

    // MARK: Running

    /// Runs until `stop`. Call from the thread that owns the loop.
    public func run() {
        runner.store(UInt(pthread_self()), ordering: .relaxed)
        defer { runner.store(0, ordering: .relaxed) }
        while !stopRequested.load(ordering: .acquiring) {
            // Tasks the loop queued for itself (in a tick, say) are due now, not in 250 ms.
            let timeout = hasTasks ? 0 : Int32(clamping: (EventLoop.tickInterval / 1_000_000))
            do {
                _ = try epoll.wait(timeoutMilliseconds: timeout) { fd, flags in
                    if fd == wakeup.fd {
                        wakeup.drain()
                        return
                    }
                    let index = Int(fd)
                    guard index < handlers.count, let handler = handlers[index] else { return }
                    handler.handleEvent(EpollFlags(flags))
                }
            } catch {
                Log.error("event loop \(id): \(error)")
            }
            now = monotonicNanoseconds()
            runTasks()
            flushPending()
            // Work that hops between parts on this one thread (the broker's domain on
            // its only I/O loop: read → desk → delivery → write) finishes in this
            // iteration, a few hops at most before the sockets get their turn again.
            var hops = 0
            while hops < EventLoop.maxHopsPerIteration && runTasks() {
                flushPending()
                hops += 1
            }
            if now &- lastTick >= EventLoop.tickInterval {
                lastTick = now
                for case let handler? in handlers { handler.tick(now: now) }
                for handler in tickers { handler.tick(now: now) }
                flushPending()
            }
        }
        // Handlers and tickers may point back at the loop; drop them so the loop and
        // everything it served can be freed once its thread ends.
        handlers.removeAll()
        tickers.removeAll()
        pendingFlush.removeAll()
        handlerCount = 0
        // Released here, outside the lock: a task's captures may execute on this loop as they go.
        let unrun = tasks.withLock { queue -> [@Sendable () -> Void] in
            defer { queue = nil }
            return queue ?? []
        }
        _ = unrun
    }

    /// Rounds of self-queued tasks an iteration runs before it polls the sockets again.
    static let maxHopsPerIteration = 4

    private var hasTasks: Bool {
        tasks.withLock { !($0?.isEmpty ?? true) }
    }

    /// Runs the queued tasks; false when there were none.
    @discardableResult
    private func runTasks() -> Bool {
        let batch = tasks.withLock { queue -> [@Sendable () -> Void] in
            guard let waiting = queue, !waiting.isEmpty else { return [] }
            queue = []
            return waiting
        }
        for task in batch { task() }
        return !batch.isEmpty
    }

    private func flushPending() {
        while !pendingFlush.isEmpty {
            let batch = pendingFlush
            pendingFlush.removeAll(keepingCapacity: true)
            for handler in batch { handler.flush() }
        }
    }
}

/// A handler with an outbound queue that the loop flushes at the end of an iteration.
public protocol Flushable: AnyObject {
    func flush()
}

/// A reference to loop-owned state, carried through a `@Sendable` closure that runs
/// on that same loop (via `execute`). Sound because only the owning loop's thread
/// dereferences `value`; the wrapper only lets it travel through the task queue.
public struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// A loop's quarter-second tick handed to a closure, for loop-owned objects that keep
/// deadlines but own no fd (or not always one: a link backing off between connects).
/// Register it with `addTicker`. Loop thread only.
public final class TickAction: Selectable {
    public let fd: Int32 = -1
    private let action: (UInt64) -> Void

    public init(_ action: @escaping (_ now: UInt64) -> Void) {
        self.action = action
    }

    public func handleEvent(_ flags: EpollFlags) {}

    public func tick(now: UInt64) { action(now) }
}
