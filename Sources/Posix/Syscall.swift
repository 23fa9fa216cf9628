#if canImport(Glibc)
import Glibc
#endif
import CShims

/// An errno from a syscall, with the call's name; the only error type of this module.
public struct PosixError: Error, CustomStringConvertible, Sendable {
    public let errno: Int32
    public let function: StaticString

    public init(errno: Int32, function: StaticString) {
        self.errno = errno
        self.function = function
    }

    public var description: String {
        "\(function): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// What a nonblocking call did: finished with a value, or would have blocked.
public enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

/// Runs a syscall the one way this project runs them: errno is read right away,
/// EINTR is retried, EAGAIN becomes `.wouldBlock`, and EBADF/EFAULT — which can
/// only mean a bug in our own fd bookkeeping — stop the process.
@inline(__always)
func syscall<T: FixedWidthInteger>(
    _ function: StaticString,
    blocking: Bool = false,
    _ body: () -> T
) throws(PosixError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let err = Glibc.errno
        switch err {
        case EINTR:
            continue
        case EAGAIN where !blocking, EWOULDBLOCK where !blocking:
            return .wouldBlock
        case EBADF, EFAULT:
            preconditionFailure("\(function) failed with \(err): a file descriptor bug")
        default:
            throw PosixError(errno: err, function: function)
        }
    }
}

/// As `syscall`, for calls that never return EAGAIN (setup calls, close).
@inline(__always)
@discardableResult
func blockingSyscall<T: FixedWidthInteger>(
    _ function: StaticString,
    _ body: () -> T
) throws(PosixError) -> T {
    switch try syscall(function, blocking: true, body) {
    case .processed(let value): return value
    case .wouldBlock: preconditionFailure("unreachable: blocking call")
    }
}
