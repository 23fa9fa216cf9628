import ChatCore
import Testing
@testable import ChatServer

/// Business hours across daylight-saving changes, with zones read from the system's tz
/// database (Debian's tzdata, which scripts/setup.sh installs).
struct TimeZoneDatabaseTests {
    static func utc(_ date: String, _ time: String) -> WallTime {
        WallTime(LocalDate(date)!, LocalTime(time)!, in: .utc)
    }

    static func utcSeconds(_ date: String, _ time: String) -> Int64 { utc(date, time).millisecondsSince1970 / 1_000 }

    static func weekdays(_ span: String, in zone: TimeZoneOffset) -> BusinessHours {
        let hours = [OpeningHours(span)!]
        return BusinessHours(timeZone: zone, weekly: [.monday: hours, .tuesday: hours, .wednesday: hours,
                                                      .thursday: hours, .friday: hours])
    }

    @Test func berlinChangesItsOffsetAtTheEuropeanDates() throws {
        let berlin = try TimeZoneDatabase.zone(named: "Europe/Berlin")
        #expect(berlin.rules != nil)
        #expect(berlin.offset(atUTC: Self.utcSeconds("2025-03-30", "00:59") + 59) == 3_600)
        #expect(berlin.offset(atUTC: Self.utcSeconds("2025-03-30", "01:00")) == 7_200)
        #expect(berlin.offset(atUTC: Self.utcSeconds("2025-10-26", "00:59")) == 7_200)
        #expect(berlin.offset(atUTC: Self.utcSeconds("2025-10-26", "01:00")) == 3_600)
        // Past the file's last transition the footer's rule (CET-1CEST,M3.5.0,M10.5.0/3) decides.
        #expect(berlin.offset(atUTC: Self.utcSeconds("2040-07-01", "00:00")) == 7_200)
        #expect(berlin.offset(atUTC: Self.utcSeconds("2040-10-28", "00:59") + 59) == 7_200)
        #expect(berlin.offset(atUTC: Self.utcSeconds("2040-10-28", "01:00")) == 3_600)
    }

    @Test func newYorkChangesItsOffsetAtTheAmericanDates() throws {
        let newYork = try TimeZoneDatabase.zone(named: "America/New_York")
        #expect(newYork.offset(atUTC: Self.utcSeconds("2025-03-09", "06:59") + 59) == -18_000)
        #expect(newYork.offset(atUTC: Self.utcSeconds("2025-03-09", "07:00")) == -14_400)
        #expect(newYork.offset(atUTC: Self.utcSeconds("2040-01-15", "00:00")) == -18_000)
        #expect(newYork.offset(atUTC: Self.utcSeconds("2040-07-01", "00:00")) == -14_400)
    }

    @Test func nineOClockStaysNineOClockWhenBerlinSpringsForward() throws {
        let hours = Self.weekdays("09:00-18:00", in: try TimeZoneDatabase.zone(named: "Europe/Berlin"))
        // Monday 08:30 UTC: 09:30 CET in winter (open)… 
        #expect(hours.isOpen(at: Self.utc("2025-03-24", "08:30")))
        #expect(!hours.isOpen(at: Self.utc("2025-03-24", "07:30")))  // 08:30 CET
        // …and the Monday after the change 07:30 UTC is 09:30 CEST (open).
        #expect(hours.isOpen(at: Self.utc("2025-03-31", "07:30")))
        #expect(!hours.isOpen(at: Self.utc("2025-03-31", "06:30")))
        // Friday 18:30 CET: the next opening is Monday 09:00 CEST = 07:00 UTC.
        #expect(hours.nextChange(after: Self.utc("2025-03-28", "17:30")) == Self.utc("2025-03-31", "07:00"))
        // Autumn: Friday 18:30 CEST, next Monday 09:00 CET = 08:00 UTC.
        #expect(hours.nextChange(after: Self.utc("2025-10-24", "16:30")) == Self.utc("2025-10-27", "08:00"))
    }

    @Test func newYorkHoursFollowTheClockChange() throws {
        let hours = Self.weekdays("09:00-17:00", in: try TimeZoneDatabase.zone(named: "America/New_York"))
        // Friday 17:00 EST = 22:00 UTC; Monday 09:00 EDT = 13:00 UTC.
        #expect(hours.nextChange(after: Self.utc("2025-03-07", "21:00")) == Self.utc("2025-03-07", "22:00"))
        #expect(hours.nextChange(after: Self.utc("2025-03-07", "22:00")) == Self.utc("2025-03-10", "13:00"))
        #expect(hours.isOpen(at: Self.utc("2025-03-10", "13:30")))
        #expect(!hours.isOpen(at: Self.utc("2025-03-03", "13:30")))  // 08:30 EST the Monday before
        // Fall back on 2 November: Monday 3rd opens at 14:00 UTC.
        #expect(hours.nextChange(after: Self.utc("2025-10-31", "21:30")) == Self.utc("2025-11-03", "14:00"))
    }

    @Test func anOpeningAcrossTheChangeIsAnHourShorter() throws {
        let berlin = try TimeZoneDatabase.zone(named: "Europe/Berlin")
        let hours = BusinessHours(timeZone: berlin, weekly: [.sunday: [OpeningHours("00:00-06:00")!]])
        // Sunday 30 March 2025 00:00 CET = Saturday 23:00 UTC; 06:00 CEST = 04:00 UTC: five hours.
        #expect(hours.nextChange(after: Self.utc("2025-03-29", "22:00")) == Self.utc("2025-03-29", "23:00"))
        #expect(hours.nextChange(after: Self.utc("2025-03-30", "00:00")) == Self.utc("2025-03-30", "04:00"))
    }

    @Test func skippedAndRepeatedLocalTimesHaveOneReading() throws {
        let berlin = try TimeZoneDatabase.zone(named: "Europe/Berlin")
        // 02:30 does not exist on 30 March: read as just after the change (03:30 CEST).
        #expect(WallTime(LocalDate("2025-03-30")!, LocalTime("02:30")!, in: berlin) == Self.utc("2025-03-30", "01:30"))
        // 02:30 happens twice on 26 October: the first (CEST).
        #expect(WallTime(LocalDate("2025-10-26")!, LocalTime("02:30")!, in: berlin) == Self.utc("2025-10-26", "00:30"))
    }

    @Test func seoulAndOffsetsStillResolveAndNonsenseIsRefused() throws {
        #expect(try TimeZoneDatabase.zone(named: "Asia/Seoul").offset(atUTC: Self.utcSeconds("2025-01-01", "00:00")) == 32_400)
        #expect(try TimeZoneDatabase.zone(named: "+05:30").secondsFromUTC == 19_800)
        for name in ["Mars/Olympus", "../etc/passwd", "/etc/localtime", "Europe/../Europe/Berlin", "", "Europe//Berlin"] {
            #expect(throws: TimeZoneDatabase.Failure.self, "\(name)") { try TimeZoneDatabase.zone(named: name) }
        }
    }

    @Test func theZoneIsNamedWithItsOffset() throws {
        let berlin = try TimeZoneDatabase.zone(named: "Europe/Berlin")
        #expect(berlin.displayName(at: Self.utc("2025-07-01", "12:00")) == "Europe/Berlin (UTC+02:00)")
        #expect(berlin.displayName(at: Self.utc("2025-01-01", "12:00")) == "Europe/Berlin (UTC+01:00)")
        #expect(TimeZoneOffset.seoul.displayName(at: Self.utc("2025-01-01", "12:00")) == "Asia/Seoul (UTC+09:00)")
    }
}
