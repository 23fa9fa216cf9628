/// Why bytes are not a command-log entry (or a `LoggedCommand` cannot become one).
///
/// Apart from `ChatError` on purpose: `ChatError` is a command's refusal and has a wire
/// code for clients; a bad log entry is the log's own corruption or a bug in the node
/// that wrote it, and never reaches a client. A plain value.
public enum CommandLogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The first byte is not a format version this build reads.
    case unsupportedVersion(UInt8)
    /// The bytes end inside `field`.
    case truncated(field: String)
    /// Bytes follow a complete entry.
    case trailingBytes(count: Int)
    /// The command tag names no command.
    case unknownCommand(UInt8)
    /// An enumeration's byte (channel, status, language, transfer target, presence
    /// marker) is out of its range.
    case invalidValue(field: String, value: UInt8)
    /// A string's bytes are not UTF-8.
    case invalidUTF8(field: String)
    /// A string (bytes) or a list (items) is longer than its limit.
    case tooLong(field: String, length: Int, limit: Int)
    /// A time is outside `LoggedCommand.timeRange`.
    case timeOutOfRange(field: String, milliseconds: Int64)

    /// A sentence for logs.
    public var reason: String {
        switch self {
        case .unsupportedVersion(let v): "unsupported format version \(v)"
        case .truncated(let field): "the entry ends inside \(field)"
        case .trailingBytes(let count): "\(count) bytes follow the entry"
        case .unknownCommand(let tag): "unknown command tag \(tag)"
        case .invalidValue(let field, let value): "\(field) has no value \(value)"
        case .invalidUTF8(let field): "\(field) is not UTF-8"
        case .tooLong(let field, let length, let limit): "\(field) is \(length) long, over its limit of \(limit)"
        case .timeOutOfRange(let field, let ms): "\(field) \(ms) ms is outside 0 ..< 2^53"
        }
    }

    public var description: String { "command log: \(reason)" }
}
