#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Process-wide logging to standard error, one line per event, safe from any thread:
/// a thin facade over swift-log's `Logger` (the ecosystem's API), whose handler is
/// `LineLogHandler` — the broker's own line format by default
/// (`2026-05-04T10:21:03.123Z info message`), or one JSON object per line
/// (`--log-format json`). A single write(2) per line keeps lines from different
/// threads whole. The level check is one atomic load, so a disabled `debug` costs
/// no string.
public enum Log {
    public enum Level: Int, Sendable, Comparable {
        case debug = 0, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var label: String {
            switch self {
            case .debug: return "debug"
            case .info: return "info"
            case .warning: return "warning"
            case .error: return "error"
            }
        }
        var swiftLog: Logger.Level {
            switch self {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
        }
    }

    /// How a line looks.
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    private static let threshold = Atomic<Int>(Level.info.rawValue)
    private static let logger = Mutex(Log.makeLogger(.text, level: .info))

    public static func setLevel(_ level: Level) {
        threshold.store(level.rawValue, ordering: .relaxed)
        logger.withLock { $0.logLevel = level.swiftLog }
    }

    /// Chooses the line format, for this facade and for any library logging through
    /// swift-log (`LoggingSystem.bootstrap`, which may run once per process: later
    /// calls change only this facade).
    public static func configure(format: Format, level: Level) {
        threshold.store(level.rawValue, ordering: .relaxed)
        logger.withLock { $0 = makeLogger(format, level: level) }
        bootstrapOnce.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format) }
        }
    }

    private static let bootstrapOnce = Mutex(false)

    private static func makeLogger(_ format: Format, level: Level) -> Logger {
        var l = Logger(label: "switchboard") { label in LineLogHandler(label: label, format: format) }
        l.logLevel = level.swiftLog
        return l
    }

    public static func enabled(_ level: Level) -> Bool {
        level.rawValue >= threshold.load(ordering: .relaxed)
    }

    public static func debug(_ message: @autoclosure () -> String) { write(.debug, message) }
    public static func info(_ message: @autoclosure () -> String) { write(.info, message) }
    public static func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    public static func error(_ message: @autoclosure () -> String) { write(.error, message) }

    private static func write(_ level: Level, _ message: () -> String) {
        guard enabled(level) else { return }
        let text = message()
        let l = logger.withLock { $0 }
        l.log(level: level.swiftLog, "\(text)")
    }
}

/// swift-log handler writing one line per event to standard error: the broker's line
/// format (`TIMESTAMP LEVEL message key=value…`) or a JSON object
/// (`{"ts":…,"level":…,"label":…,"message":…,"metadata":{…}}`). A value; any thread.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: Log.Format

    public init(label: String, format: Log.Format) {
        self.label = label
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var all = metadata
        if let explicit { all.merge(explicit) { _, new in new } }
        let text = Self.line(format: format, stamp: Self.timestamp(), level: level, label: label, message: message.description,
                             metadata: all)
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// The whole line, newline included. Pure, for tests.
    public static func line(format: Log.Format, stamp: String, level: Logger.Level, label: String, message: String,
                            metadata: Logger.Metadata) -> String {
        let levelName = level == .critical ? "error" : (level == .trace ? "debug" : level.rawValue)
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            var out = "\(stamp) \(levelName) \(message)"
            for key in keys { out += " \(key)=\(metadata[key]!)" }
            return out + "\n"
        case .json:
            var out = "{\"ts\":\(json(stamp)),\"level\":\(json(levelName)),\"label\":\(json(label)),\"message\":\(json(message))"
            if !keys.isEmpty {
                out += ",\"metadata\":{" + keys.map { "\(json($0)):\(json("\(metadata[$0]!)"))" }.joined(separator: ",") + "}"
            }
            return out + "}\n"
        }
    }

    /// A JSON string (RFC 8259 §7): quotes, backslash and control characters escaped.
    /// Also for the broker's hand-built JSON answers (`ServiceDesk+Rights.swift`).
    public static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC, from the real-time clock.
    public static func currentTimestamp() -> String { timestamp() }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var tm = tm()
        var seconds = ts.tv_sec
        gmtime_r(&seconds, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = Int(ts.tv_nsec / 1_000_000)
        let milli = ms < 10 ? "00\(ms)" : (ms < 100 ? "0\(ms)" : "\(ms)")
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)).\(milli)Z"
    }
}
