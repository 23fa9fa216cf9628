#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Process-wide logging to standard error, one line per event, safe from any thread.
/// A single write(2) per line keeps lines from different threads whole.
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
    }

    private static let threshold = Atomic<Int>(Level.info.rawValue)

    public static func setLevel(_ level: Level) {
        threshold.store(level.rawValue, ordering: .relaxed)
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
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var tm = tm()
        var seconds = ts.tv_sec
        gmtime_r(&seconds, &tm)
        let stamp = String(format4: Int(tm.tm_year) + 1900) + "-" + String(format2: Int(tm.tm_mon) + 1) + "-" + String(format2: Int(tm.tm_mday))
            + "T" + String(format2: Int(tm.tm_hour)) + ":" + String(format2: Int(tm.tm_min)) + ":" + String(format2: Int(tm.tm_sec))
            + "." + String(format3: Int(ts.tv_nsec / 1_000_000)) + "Z"
        let line = "\(stamp) \(level.label) \(message())\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

extension String {
    fileprivate init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
    fileprivate init(format3 value: Int) { self = value < 10 ? "00\(value)" : (value < 100 ? "0\(value)" : "\(value)") }
    fileprivate init(format4 value: Int) { self = "\(value)" }
}
