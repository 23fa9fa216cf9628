#if canImport(Glibc)
import Glibc
#endif
import CShims

/// An epoll instance with a reusable event array. Owned by one event-loop thread.
public struct Epoll: ~Copyable {
    public let fd: Int32
    private let events: UnsafeMutableBufferPointer<epoll_event>

    /// What a registration waits for. Level-triggered: the loop reads once per wake-up
    /// and relies on epoll to report what is left, which keeps backpressure simple.
    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let read = Interest(rawValue: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        public static let write = Interest(rawValue: EPOLLOUT.rawValue)
    }

    public init(maxEvents: Int = 1024) throws(PosixError) {
        fd = try blockingSyscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        events = .allocate(capacity: maxEvents)
    }

    deinit {
        events.deallocate()
        Socket.close(fd)
    }

    public func add(_ target: Int32, _ interest: Interest) throws(PosixError) {
        try control(EPOLL_CTL_ADD, target, interest)
    }

    public func modify(_ target: Int32, _ interest: Interest) throws(PosixError) {
        try control(EPOLL_CTL_MOD, target, interest)
    }

    public func remove(_ target: Int32) {
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, target, nil)
    }

    private func control(_ op: Int32, _ target: Int32, _ interest: Interest) throws(PosixError) {
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.fd = target
        try blockingSyscall("epoll_ctl") { epoll_ctl(fd, op, target, &event) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body` with each ready fd
    /// and its flags. Returns how many events there were.
    @inline(__always)
    public func wait(timeoutMilliseconds: Int32, _ body: (Int32, UInt32) -> Void) throws(PosixError) -> Int {
        let count: Int32
        switch try syscall("epoll_wait", { epoll_wait(fd, events.baseAddress, Int32(events.count), timeoutMilliseconds) }) {
        case .processed(let n): count = n
        case .wouldBlock: count = 0
        }
        for index in 0..<Int(count) {
            body(events[index].data.fd, events[index].events)
        }
        return Int(count)
    }
}

/// The event flags epoll reports, decoded once.
public struct EpollFlags {
    public let raw: UInt32
    @inline(__always) public init(_ raw: UInt32) { self.raw = raw }
    @inline(__always) public var readable: Bool { raw & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 }
    @inline(__always) public var writable: Bool { raw & EPOLLOUT.rawValue != 0 }
    @inline(__always) public var failed: Bool { raw & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 }
}

/// An eventfd that wakes an event loop from another thread.
public struct EventFD: ~Copyable {
    public let fd: Int32

    public init() throws(PosixError) {
        fd = try blockingSyscall("eventfd") {
            switchboard_eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        }
    }

    deinit { Socket.close(fd) }

    /// Safe from any thread: adds 1 to the counter, which makes the fd readable.
    public func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    /// Resets the counter after a wake-up.
    public func drain() {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }
}

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC): for deadlines and round-trip times.
@inline(__always)
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
