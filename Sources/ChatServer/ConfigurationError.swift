/// Why a configuration file was refused at start-up: where (the line, when known, and
/// the key) and why, in words for the operator. The one error type of the
/// configuration reader. A plain value.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// 1-based line of the offending key or table, when it could be found.
    public var line: Int?
    /// 1-based column (in characters) within `line`, where it is known: syntax errors
    /// and bytes that are not TOML text.
    public var column: Int?
    /// The key's path, e.g. `agents[1].secret` (nil for syntax errors).
    public var key: String?
    public var reason: String

    public init(line: Int?, column: Int? = nil, key: String?, reason: String) {
        self.line = line
        self.column = column
        self.key = key
        self.reason = reason
    }

    /// `line 12: agents[1].secret: reason` or `line 3, column 8: reason`; the caller
    /// puts the file name in front.
    public var description: String {
        var text = ""
        if let line { text += column.map { "line \(line), column \($0): " } ?? "line \(line): " }
        if let key, !key.isEmpty { text += "\(key): " }
        return text + reason
    }
}
