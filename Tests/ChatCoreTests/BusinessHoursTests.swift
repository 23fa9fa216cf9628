import Testing
import ChatCore

struct BusinessHoursTests {
    /// Weekdays 09:00–18:00 and a Friday night shift 22:00–02:00, Seoul time.
    static let hours = BusinessHours(
        timeZone: .seoul,
        weekly: [
            .monday: [OpeningHours("09:00-18:00")!],
            .tuesday: [OpeningHours("09:00-18:00")!],
            .wednesday: [OpeningHours("09:00-18:00")!],
            .thursday: [OpeningHours("09:00-18:00")!],
            .friday: [OpeningHours("09:00-18:00")!, OpeningHours("22:00-02:00")!],
        ],
        holidays: [LocalDate("2025-01-28")!, LocalDate("2025-01-29")!, LocalDate("2025-01-30")!])

    /// Seoul wall time on a January 2025 day (2025-01-06 is a Monday).
    static func seoul(_ day: Int, _ time: String, month: Int = 1) -> WallTime {
        WallTime(LocalDate(year: 2025, month: month, day: day)!, LocalTime(time)!, in: .seoul)
    }

    @Test func openFromOpeningUntilJustBeforeClosing() {
        let h = Self.hours
        #expect(!h.isOpen(at: Self.seoul(6, "08:59")))
        #expect(h.isOpen(at: Self.seoul(6, "09:00")))
        #expect(h.isOpen(at: Self.seoul(6, "17:59")))
        #expect(!h.isOpen(at: Self.seoul(6, "18:00")))
    }

    @Test func theWeekendIsClosed() {
        #expect(!Self.hours.isOpen(at: Self.seoul(11, "12:00")))  // Saturday
        #expect(!Self.hours.isOpen(at: Self.seoul(12, "12:00")))  // Sunday
    }

    @Test func aNightShiftRunsPastMidnightIntoTheNextDay() {
        let h = Self.hours
        #expect(!h.isOpen(at: Self.seoul(10, "21:59")))  // Friday
        #expect(h.isOpen(at: Self.seoul(10, "23:30")))
        #expect(h.isOpen(at: Self.seoul(11, "00:00")))  // Saturday, after midnight
        #expect(h.isOpen(at: Self.seoul(11, "01:59")))
        #expect(!h.isOpen(at: Self.seoul(11, "02:00")))
    }

    @Test func aHolidayClosesTheOpeningsThatStartOnIt() {
        let h = Self.hours
        #expect(h.isOpen(at: Self.seoul(27, "10:00")))   // Monday before 설날
        #expect(!h.isOpen(at: Self.seoul(28, "10:00")))  // holiday
        #expect(!h.isOpen(at: Self.seoul(30, "17:00")))  // holiday
        #expect(h.isOpen(at: Self.seoul(31, "09:00")))   // Friday after
    }

    @Test func anOpeningFromTheEveningBeforeAHolidayStillRunsPastMidnight() {
        var h = Self.hours
        h.weekly[.monday] = [OpeningHours("22:00-02:00")!]
        #expect(h.isOpen(at: Self.seoul(28, "01:00")))   // Tuesday (holiday), Monday's shift
        #expect(!h.isOpen(at: Self.seoul(28, "02:00")))
        h.weekly[.tuesday] = [OpeningHours("22:00-02:00")!]
        #expect(!h.isOpen(at: Self.seoul(28, "23:00")))  // Tuesday's own shift is cancelled
    }

    @Test func theZoneDecidesWhichLocalHourItIs() {
        // 01:00 UTC on Monday is 10:00 in Seoul: open there, closed under UTC.
        let wall = WallTime(LocalDate("2025-01-06")!, LocalTime("01:00")!, in: .utc)
        #expect(Self.hours.isOpen(at: wall))
        var utc = Self.hours
        utc.timeZone = .utc
        #expect(!utc.isOpen(at: wall))
    }

    @Test func nextChangeFindsClosingOpeningAndSkipsClosedDays() {
        let h = Self.hours
        #expect(h.nextChange(after: Self.seoul(6, "10:00")) == Self.seoul(6, "18:00"))
        #expect(h.nextChange(after: Self.seoul(10, "19:00")) == Self.seoul(10, "22:00"))
        #expect(h.nextChange(after: Self.seoul(10, "23:00")) == Self.seoul(11, "02:00"))
        #expect(h.nextChange(after: Self.seoul(11, "03:00")) == Self.seoul(13, "09:00"))  // weekend
        #expect(h.nextChange(after: Self.seoul(27, "18:00")) == Self.seoul(31, "09:00"))  // 설날
    }

    @Test func equalOpeningAndClosingTimesMeanAllDay() {
        let h = BusinessHours(weekly: [.saturday: [OpeningHours("00:00-00:00")!]])
        #expect(h.isOpen(at: Self.seoul(11, "00:00")))
        #expect(h.isOpen(at: Self.seoul(11, "23:59")))
        #expect(!h.isOpen(at: Self.seoul(12, "00:00")))
        #expect(h.nextChange(after: Self.seoul(11, "12:00")) == Self.seoul(12, "00:00"))
    }

    @Test func alwaysOpenNeverChanges() {
        #expect(BusinessHours.alwaysOpen.isOpen(at: Self.seoul(1, "03:00")))
        #expect(BusinessHours.alwaysOpen.nextChange(after: Self.seoul(1, "03:00")) == nil)
        #expect(BusinessHours(weekly: [:]).nextChange(after: Self.seoul(1, "03:00")) == nil)
    }
}
