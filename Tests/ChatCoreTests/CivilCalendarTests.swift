import Testing
import ChatCore

struct CivilCalendarTests {
    @Test func daysRoundTripAcrossCenturiesAndLeapDays() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            #expect(LocalDate(daysSince1970: days).daysSince1970 == days)
        }
        #expect(LocalDate(year: 2024, month: 2, day: 29)!.daysSince1970 == 19_782)
        #expect(LocalDate(year: 2023, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 1900, month: 2, day: 29) == nil)
    }

    @Test func weekdaysFollowTheCalendar() {
        #expect(LocalDate(year: 1970, month: 1, day: 1)!.weekday == .thursday)
        #expect(LocalDate(year: 2024, month: 10, day: 9)!.weekday == .wednesday)  // 한글날
        #expect(LocalDate(year: 1969, month: 12, day: 28)!.weekday == .sunday)
    }

    @Test func datesAndTimesParseFromConfigurationText() {
        #expect(LocalDate("2025-01-29") == LocalDate(year: 2025, month: 1, day: 29))
        #expect(LocalDate("2025-1-29") == nil)
        #expect(LocalDate("2025-13-01") == nil)
        #expect(LocalTime("09:30")?.minutesSinceMidnight == 570)
        #expect(LocalTime("24:00") == nil)
        #expect(LocalTime("9:30") == nil)
        #expect(LocalDate("2025-03-01")!.description == "2025-03-01")
        #expect(LocalTime(hour: 7, minute: 5)!.description == "07:05")
    }

    @Test func timeZonesResolveFromIANANamesAndOffsets() {
        #expect(TimeZoneOffset(identifier: "Asia/Seoul")?.secondsFromUTC == 32_400)
        #expect(TimeZoneOffset(identifier: "UTC")?.secondsFromUTC == 0)
        #expect(TimeZoneOffset(identifier: "+05:30")?.secondsFromUTC == 19_800)
        #expect(TimeZoneOffset(identifier: "-03:00")?.secondsFromUTC == -10_800)
        #expect(TimeZoneOffset(identifier: "America/New_York") == nil)  // has DST: only from the tz database (TimeZoneDatabase)
        #expect(TimeZoneOffset(identifier: "Asia/Atlantis") == nil)
    }

    @Test func theLocalDateOfAWallTimeDependsOnTheZone() {
        // 2024-12-31 20:00 UTC is already 2025-01-01 in Seoul.
        let wall = WallTime(LocalDate(year: 2024, month: 12, day: 31)!, LocalTime(hour: 20)!, in: .utc)
        #expect(TimeZoneOffset.seoul.date(of: wall) == LocalDate(year: 2025, month: 1, day: 1))
        #expect(TimeZoneOffset.utc.date(of: wall) == LocalDate(year: 2024, month: 12, day: 31))
        let beforeEpoch = WallTime(millisecondsSince1970: -1)
        #expect(TimeZoneOffset.utc.date(of: beforeEpoch) == LocalDate(year: 1969, month: 12, day: 31))
    }
}
