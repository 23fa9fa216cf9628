#if canImport(Glibc)
import Glibc
#endif
import Posix

/// A real `redis-server` (Debian's package, installed by scripts/setup.sh) on a free
/// loopback port, started for one test and killed by pid at its end. Persistence off:
/// these tests are about the link, not about durability.
public final class RedisServer {
    public let port: UInt16
    public private(set) var pid: pid_t = 0
    private let arguments: [String]

    public init(extraArguments: [String] = []) throws {
        let probe = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        port = Socket.localPort(probe)
        Socket.close(probe)
        arguments = ["redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--daemonize", "no", "--loglevel", "warning", "--logfile", ""] + extraArguments
        try start()
    }

    deinit { stop() }

    public func start() throws {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let rc = posix_spawnp(&child, "redis-server", &actions, nil, &argv, environ)
        guard rc == 0 else {
            throw RedisServerError(reason: "cannot start redis-server (errno \(rc)); install it with bash scripts/setup.sh")
        }
        pid = child
        // Up when it accepts a connection.
        let deadline = monotonicNanoseconds() + 10_000_000_000
        while monotonicNanoseconds() < deadline {
            if let (fd, _) = try? Socket.connect(host: "127.0.0.1", port: port) {
                var pollFD = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pollFD, 1, 100)
                let error = Socket.pendingError(fd)
                Socket.close(fd)
                if error == 0 && pollFD.revents & Int16(POLLOUT) != 0 { return }
            }
            usleep(20_000)
        }
        throw RedisServerError(reason: "redis-server on port \(port) never came up")
    }

    /// SIGKILL and reap: the server is gone at once, connections reset.
    public func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }
}

public struct RedisServerError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
