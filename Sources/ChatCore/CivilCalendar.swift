/// A calendar date in the proleptic Gregorian calendar, with no time zone: a holiday,
/// or the local date of a wall time. A plain value.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil unless the date exists (month 1...12, day within the month).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= LocalDate.daysIn(month: month, year: year) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The date `days` days after 1970-01-01 (negative: before).
    public init(daysSince1970 days: Int) {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public var weekday: Weekday { Weekday(daysSince1970: daysSince1970) }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A time of day on a local clock, to the minute (00:00 ... 23:59). A plain value.
public struct LocalTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let minutesSinceMidnight: Int

    /// Nil unless 0 <= hour < 24 and 0 <= minute < 60.
    public init?(hour: Int, minute: Int = 0) {
        guard (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        minutesSinceMidnight = hour * 60 + minute
    }

    /// Parses `HH:MM`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]) else { return nil }
        self.init(hour: h, minute: m)
    }

    public var hour: Int { minutesSinceMidnight / 60 }
    public var minute: Int { minutesSinceMidnight % 60 }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
        lhs.minutesSinceMidnight < rhs.minutesSinceMidnight
    }

    public var description: String {
        (hour < 10 ? "0\(hour)" : "\(hour)") + ":" + (minute < 10 ? "0\(minute)" : "\(minute)")
    }
}

/// A day of the week. A plain value.
public enum Weekday: Int, Hashable, Sendable, CaseIterable {
    case sunday = 0, monday, tuesday, wednesday, thursday, friday, saturday

    /// 1970-01-01 was a Thursday.
    init(daysSince1970 days: Int) {
        let r = (days + 4) % 7
        self = Weekday(rawValue: r < 0 ? r + 7 : r)!  // r is in 0...6, so the case exists.
    }
}

/// A time zone: a fixed offset from UTC, or an IANA zone's rules over time
/// (`ZoneRules`, read from the system's tz database by the configuration loader),
/// daylight saving time included.
///
/// Without rules, IANA names resolve through a small table (`Asia/Seoul`, `UTC` and a
/// few fixed-offset neighbours), a fallback for machines without the tz database;
/// `+09:00`-style offsets are accepted too. A configuration loader reports a name that
/// resolves to nothing as `ChatError.unknownTimeZone` (`unknown_time_zone`). A plain value.
public struct TimeZoneOffset: Hashable, Sendable, CustomStringConvertible {
    /// The name it was made from (an IANA name or `+HH:MM`).
    public let identifier: String
    /// Seconds east of UTC: the fixed offset, or the zone's offset before its first
    /// recorded change when it has `rules` (use `offset(atUTC:)`).
    public let secondsFromUTC: Int
    /// The zone's changes of offset (nil: `secondsFromUTC` always).
    public let rules: ZoneRules?

    /// The product's default zone.
    public static let seoul = TimeZoneOffset(identifier: "Asia/Seoul", secondsFromUTC: 9 * 3_600)
    public static let utc = TimeZoneOffset(identifier: "UTC", secondsFromUTC: 0)

    /// Zones without daylight saving time, by IANA name.
    static let table: [String: Int] = [
        "Asia/Seoul": 9 * 3_600, "ROK": 9 * 3_600,
        "Asia/Tokyo": 9 * 3_600, "Asia/Shanghai": 8 * 3_600, "Asia/Taipei": 8 * 3_600,
        "Asia/Hong_Kong": 8 * 3_600, "Asia/Singapore": 8 * 3_600,
        "UTC": 0, "Etc/UTC": 0, "Etc/GMT": 0, "GMT": 0, "Z": 0,
    ]

    public init(identifier: String, secondsFromUTC: Int) {
        self.identifier = identifier
        self.secondsFromUTC = secondsFromUTC
        self.rules = nil
    }

    /// An IANA zone with its rules (from a TZif file of the tz database).
    public init(identifier: String, rules: ZoneRules) {
        self.identifier = identifier
        self.secondsFromUTC = Int(rules.initialOffset)
        self.rules = rules
    }

    /// Seconds east of UTC at `utc` (seconds since the epoch).
    public func offset(atUTC utc: Int64) -> Int {
        rules.map { Int($0.offset(atUTC: utc)) } ?? secondsFromUTC
    }

    /// The UTC second at which local time reads `local` (seconds since 1970-01-01T00:00
    /// local); a skipped local time lands just after the change, a repeated one is its
    /// first occurrence (`ZoneRules.utc(atLocal:)`).
    public func utcSeconds(local: Int64) -> Int64 {
        rules?.utc(atLocal: local) ?? local - Int64(secondsFromUTC)
    }

    /// The zone as people read it: its identifier and the offset in force at `wall`,
    /// `Europe/Berlin (UTC+02:00)` (abbreviations such as CEST are not unique, so the
    /// offset says it).
    public func displayName(at wall: WallTime) -> String {
        let seconds = offset(atUTC: floorDivide(wall.millisecondsSince1970, 1_000))
        let sign = seconds < 0 ? "-" : "+"
        let minutes = abs(seconds) / 60
        let hh = minutes / 60 < 10 ? "0\(minutes / 60)" : "\(minutes / 60)"
        let mm = minutes % 60 < 10 ? "0\(minutes % 60)" : "\(minutes % 60)"
        return "\(identifier) (UTC\(sign)\(hh):\(mm))"
    }

    /// Resolves an IANA name from the table, or `+HH:MM` / `-HH:MM`; nil otherwise.
    public init?(identifier: String) {
        if let seconds = TimeZoneOffset.table[identifier] {
            self.init(identifier: identifier, secondsFromUTC: seconds)
            return
        }
        let scalars = Array(identifier.unicodeScalars)
        guard scalars.count == 6, scalars[0] == "+" || scalars[0] == "-", scalars[3] == ":",
              let time = LocalTime(String(identifier.dropFirst())), time.hour <= 14 else { return nil }
        let seconds = time.minutesSinceMidnight * 60
        self.init(identifier: identifier, secondsFromUTC: scalars[0] == "-" ? -seconds : seconds)
    }

    /// Seconds since 1970-01-01T00:00 local time.
    public func localSeconds(_ wall: WallTime) -> Int64 {
        let utc = floorDivide(wall.millisecondsSince1970, 1_000)
        return utc + Int64(offset(atUTC: utc))
    }

    /// The local calendar date of a wall time.
    public func date(of wall: WallTime) -> LocalDate {
        LocalDate(daysSince1970: Int(floorDivide(localSeconds(wall), 86_400)))
    }

    public var description: String { identifier }
}

/// Division rounding toward negative infinity (times before 1970 stay on the right day).
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
