#if canImport(Glibc)
import Glibc
#endif
import ChatCore
import Posix

/// Time zones by IANA name from the system's tz database (`/usr/share/zoneinfo`,
/// Debian's `tzdata`; `TZDIR` overrides the directory): the TZif file read here,
/// parsed by `ChatCore.ZoneRules`. Names not found there fall back to
/// `TimeZoneOffset(identifier:)` (fixed offsets and a few zones without daylight
/// saving time), so a machine without tzdata still serves Korea. At start-up, on the
/// thread reading the configuration. Stateless.
enum TimeZoneDatabase {
    static var directory: String {
        if let dir = getenv("TZDIR") { return String(cString: dir) }
        return "/usr/share/zoneinfo"
    }

    enum Failure: Error, CustomStringConvertible {
        case unknown(String)
        case damaged(String, String)

        var description: String {
            switch self {
            case .unknown(let name):
                "unknown time zone '\(name)' (an IANA name such as Asia/Seoul, Europe/Berlin or America/New_York from the tz "
                    + "database in \(TimeZoneDatabase.directory), or an offset like +09:00)"
            case .damaged(let name, let reason): "time zone '\(name)': its tz database file is damaged (\(reason))"
            }
        }
    }

    /// The zone `name` names: `+HH:MM`, a tz database zone, or a table zone.
    static func zone(named name: String) throws(Failure) -> TimeZoneOffset {
        if name.hasPrefix("+") || name.hasPrefix("-") {
            guard let fixed = TimeZoneOffset(identifier: name) else { throw .unknown(name) }
            return fixed
        }
        if isPlausibleName(name), let bytes = try? File.readWhole(directory + "/" + name, limit: 1 << 20) {
            do throws(ZoneRules.FormatError) {
                return TimeZoneOffset(identifier: name, rules: try ZoneRules(tzif: bytes))
            } catch {
                throw .damaged(name, error.reason)
            }
        }
        // Not in the database (or no database): the table may know it.
        guard let fixed = TimeZoneOffset(identifier: name) else { throw .unknown(name) }
        return fixed
    }

    /// IANA names are ASCII letters, digits, `_`, `-`, `+` in `/`-separated parts;
    /// nothing that could leave the directory (`..`, a leading `/`).
    static func isPlausibleName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64, !name.hasPrefix("/") else { return false }
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part != ".", part != "..",
                  part.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                      || $0 == "_" || $0 == "-" || $0 == "+") }) else { return false }
        }
        return true
    }
}
