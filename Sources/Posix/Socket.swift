#if canImport(Glibc)
import Glibc
#endif
import CShims

/// Socket syscalls. Every function here is a thin, errno-checked wrapper; none keeps state.
public enum Socket {
    /// A nonblocking TCP listening socket on an IPv4 or IPv6 address.
    /// `reusePort` lets one listener per event loop share the port (SO_REUSEPORT).
    public static func listen(host: String, port: UInt16, backlog: Int32 = 4096, reusePort: Bool) throws -> Int32 {
        let address = try SocketAddress(host: host, port: port)
        let fd = try blockingSyscall("socket") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if reusePort { try setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
            _ = try address.withSockAddr { pointer, length in
                try blockingSyscall("bind") { Glibc.bind(fd, pointer, length) }
            }
            try blockingSyscall("listen") { Glibc.listen(fd, backlog) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Throws (EADDRINUSE) if a socket already listens on the address, even one that
    /// set SO_REUSEPORT, as our own listeners do: without this check a second server
    /// started on a busy port would bind beside the first and silently take a share of
    /// its connections. A probe without SO_REUSEPORT, closed at once.
    public static func ensureNobodyListens(host: String, port: UInt16) throws {
        close(try listen(host: host, port: port, backlog: 1, reusePort: false))
    }

    /// Accepts one connection, nonblocking and close-on-exec. `.wouldBlock` when none is waiting.
    /// ECONNABORTED and the like come back as errors the caller logs and skips.
    public static func accept(_ fd: Int32) throws(PosixError) -> IOResult<(fd: Int32, peer: SocketAddress)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { pointer throws(PosixError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(PosixError) in
                try syscall("accept4") {
                    switchboard_accept4(fd, address, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }
            }
        }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .processed(let client): return .processed((client, SocketAddress(storage: storage)))
        }
    }

    /// Starts a nonblocking connect; `.wouldBlock` means EINPROGRESS (wait for EPOLLOUT).
    public static func connect(host: String, port: UInt16) throws -> (fd: Int32, inProgress: Bool) {
        let address = try SocketAddress(host: host, port: port)
        let fd = try blockingSyscall("socket") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let rc = address.withSockAddr { pointer, length in Glibc.connect(fd, pointer, length) }
        if rc == 0 { return (fd, false) }
        let err = Glibc.errno
        if err == EINPROGRESS || err == EINTR { return (fd, true) }
        close(fd)
        throw PosixError(errno: err, function: "connect")
    }

    /// The pending error of a socket (SO_ERROR), read after a nonblocking connect completes.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length)
        return value
    }

    /// Reads into `buffer`; 0 bytes means the peer closed its side.
    @inline(__always)
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(PosixError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Sends `buffer` without SIGPIPE; returns how many bytes the kernel took.
    @inline(__always)
    public static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(PosixError) -> IOResult<Int> {
        try syscall("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Gathering write of several buffers in one syscall.
    @inline(__always)
    public static func writev(_ fd: Int32, _ vectors: UnsafeBufferPointer<iovec>) throws(PosixError) -> IOResult<Int> {
        try syscall("writev") { Glibc.writev(fd, vectors.baseAddress, Int32(vectors.count)) }
    }

    /// Stops our sending side (a FIN) while still reading, as the closing handshake needs.
    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Makes the next close send RST instead of FIN: for peers we give up on.
    public static func abortOnClose(_ fd: Int32) {
        var value = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
    }

    /// Closes a descriptor. EINTR on close must not be retried on Linux (the fd is gone).
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    public static func setNoDelay(_ fd: Int32) {
        try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    public static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(PosixError) {
        var value = value
        try blockingSyscall("setsockopt") {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The port a socket is bound to (for `--port 0`).
    public static func localPort(_ fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return SocketAddress(storage: storage).port
    }
}
