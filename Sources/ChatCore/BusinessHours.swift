/// One opening on a weekly schedule: from `opens` to `closes`, local time.
///
/// When `closes` is not after `opens` the opening runs past midnight into the next
/// day (22:00–02:00); when they are equal it lasts 24 hours. An opening belongs to
/// the day it opens on. A plain value.
public struct OpeningHours: Hashable, Sendable, CustomStringConvertible {
    public let opens: LocalTime
    public let closes: LocalTime

    public init(opens: LocalTime, closes: LocalTime) {
        self.opens = opens
        self.closes = closes
    }

    /// Parses `HH:MM-HH:MM`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let o = LocalTime(String(parts[0])), let c = LocalTime(String(parts[1])) else {
            return nil
        }
        self.init(opens: o, closes: c)
    }

    /// Start and end in seconds after the start of the day it belongs to.
    var secondsRange: (start: Int64, end: Int64) {
        let start = Int64(opens.minutesSinceMidnight) * 60
        var end = Int64(closes.minutesSinceMidnight) * 60
        if end <= start { end += 86_400 }
        return (start, end)
    }

    public var description: String { "\(opens)-\(closes)" }
}

/// When the center takes live contacts: a weekly schedule in one time zone (daylight
/// saving time included: opening hours are local times, so 09:00 stays 09:00 when the
/// clocks change), minus holidays.
///
/// Rules: an opening belongs to the day it opens on, so a Monday 22:00–02:00 opening
/// covers Tuesday 01:00 even when Tuesday is a holiday; a holiday cancels only the
/// openings that start on it. Outside business hours new customers are offered
/// "leave a message", and those still waiting when the center closes are too.
/// A plain value; the engine owns its copy.
public struct BusinessHours: Hashable, Sendable {
    public var timeZone: TimeZoneOffset
    /// Openings by weekday. A weekday with none is closed all day.
    public var weekly: [Weekday: [OpeningHours]]
    public var holidays: Set<LocalDate>
    /// True for the default: open around the clock, every day, holidays included.
    public var isAlwaysOpen: Bool

    /// Open all the time (the default when nothing is configured).
    public static let alwaysOpen = BusinessHours(
        timeZone: .seoul, weekly: [:], holidays: [], isAlwaysOpen: true)

    public init(timeZone: TimeZoneOffset = .seoul, weekly: [Weekday: [OpeningHours]], holidays: Set<LocalDate> = []) {
        self.init(timeZone: timeZone, weekly: weekly, holidays: holidays, isAlwaysOpen: false)
    }

    private init(timeZone: TimeZoneOffset, weekly: [Weekday: [OpeningHours]], holidays: Set<LocalDate>, isAlwaysOpen: Bool) {
        self.timeZone = timeZone
        self.weekly = weekly
        self.holidays = holidays
        self.isAlwaysOpen = isAlwaysOpen
    }

    /// Whether the center is open at `wall`.
    public func isOpen(at wall: WallTime) -> Bool {
        if isAlwaysOpen { return true }
        return isOpen(localSeconds: timeZone.localSeconds(wall))
    }

    /// The first wall time after `wall` (to the second) at which `isOpen` changes, or nil
    /// when it never does (always open, or no opening in the next 400 days).
    public func nextChange(after wall: WallTime) -> WallTime? {
        if isAlwaysOpen { return nil }
        let t = timeZone.localSeconds(wall)
        let current = isOpen(localSeconds: t)
        let firstDay = Int(floorDivide(t, 86_400))
        // Gather every opening boundary of the coming days (and yesterday's, which may
        // run past midnight), in time order, and take the first that flips the state.
        var boundaries: [Int64] = []
        for day in (firstDay - 1)...(firstDay + 400) {
            for (start, end) in openings(onDay: day) {
                if start > t { boundaries.append(start) }
                if end > t { boundaries.append(end) }
            }
            // Later days add only boundaries from the next midnight on, so a flip found
            // before it is the first one.
            if let hit = boundaries.sorted().first(where: { isOpen(localSeconds: $0) != current }),
               hit < Int64(day + 1) * 86_400 {
                return wallTime(localSeconds: hit)
            }
        }
        return nil
    }

    private func isOpen(localSeconds t: Int64) -> Bool {
        let day = Int(floorDivide(t, 86_400))
        for d in [day - 1, day] {
            for (start, end) in openings(onDay: d) where start <= t && t < end {
                return true
            }
        }
        return false
    }

    /// The openings that start on local day `day`, as local-second ranges.
    private func openings(onDay day: Int) -> [(Int64, Int64)] {
        let date = LocalDate(daysSince1970: day)
        if holidays.contains(date) { return [] }
        let base = Int64(day) * 86_400
        return (weekly[date.weekday] ?? []).map {
            let r = $0.secondsRange
            return (base + r.start, base + r.end)
        }
    }

    private func wallTime(localSeconds: Int64) -> WallTime {
        WallTime(millisecondsSince1970: timeZone.utcSeconds(local: localSeconds) * 1_000)
    }
}
