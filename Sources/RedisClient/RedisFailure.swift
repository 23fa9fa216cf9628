/// Why a command got no value back. One error type for the client (STYLE habit 5).
public enum RedisFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The link is down (connecting, backing off, or never came up); nothing was sent.
    case unavailable(String)
    /// The link broke after the command was written: it may or may not have run.
    case disconnected(String)
    /// Redis answered with an error reply (`-ERR …`, `-NOSCRIPT …`).
    case replied(String)
    /// Too much is waiting to be written (`RedisConnection.maxBacklog`); nothing was sent.
    case backlogFull

    public var description: String {
        switch self {
        case .unavailable(let reason): return "Redis unavailable: \(reason)"
        case .disconnected(let reason): return "Redis link lost: \(reason)"
        case .replied(let text): return "Redis error: \(text)"
        case .backlogFull: return "Redis backlog full"
        }
    }
}
