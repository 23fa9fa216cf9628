#if canImport(Glibc)
import Glibc
#endif
import CShims

/// A joinable POSIX thread running one closure: each event loop gets one.
public final class PosixThread: @unchecked Sendable {
    private var handle = pthread_t()

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    public init(name: String, _ body: @escaping @Sendable () -> Void) throws(PosixError) {
        let named: @Sendable () -> Void = {
            switchboard_set_thread_name(name)
            body()
        }
        let box = Unmanaged.passRetained(Box(named)).toOpaque()
        let rc = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw PosixError(errno: rc, function: "pthread_create")
        }
    }

    public func join() {
        pthread_join(handle, nil)
    }

    /// Gives the calling thread the lowest scheduling priority (nice 19), so that its
    /// background work yields to the event loops. False if the system refused.
    @discardableResult
    public static func lowerCurrentPriority() -> Bool {
        switchboard_lower_thread_priority() == 0
    }

    /// Cores this process may run on (sched_getaffinity), for the default thread count.
    public static var availableCores: Int {
        let count = Int(switchboard_available_cores())
        return count > 0 ? count : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// Sleeps the calling thread (startup waits only; never on a loop thread).
public func usleepMicroseconds(_ microseconds: UInt32) {
    usleep(microseconds)
}

/// SIGPIPE must not kill the process when a peer vanishes mid-write; send() already
/// passes MSG_NOSIGNAL, and this covers every other path (writev on a socket).
public func switchboard_ignore_sigpipe_once() {
    switchboard_ignore_sigpipe()
}

/// Blocks SIGINT/SIGTERM/SIGHUP in this thread and threads started after, then lets
/// one thread wait for them with `waitForSignal`.
public enum Signals {
    public static func blockShutdownSignals() { switchboard_block_shutdown_signals() }
    /// Returns the signal number (SIGINT 2, SIGTERM 15, SIGHUP 1).
    public static func wait() -> Int32 { switchboard_wait_shutdown_signal() }
}
