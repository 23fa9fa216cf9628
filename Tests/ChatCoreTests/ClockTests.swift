import Testing
import ChatCore

struct ClockTests {
    @Test func manualClockMovesBothClocksTogether() {
        let clock = ManualClock(now: Instant(milliseconds: 5), wall: WallTime(millisecondsSince1970: 1_000))
        clock.advance(by: .milliseconds(1_500))
        #expect(clock.now == Instant(milliseconds: 1_505))
        #expect(clock.wallNow == WallTime(millisecondsSince1970: 2_500))
    }

    @Test func steppingTheWallClockLeavesMonotonicTimeAlone() {
        let clock = ManualClock()
        clock.setWall(WallTime(millisecondsSince1970: 86_400_000))
        #expect(clock.now == Instant(milliseconds: 0))
        #expect(clock.wallNow.millisecondsSince1970 == 86_400_000)
    }

    @Test func instantsMeasureDurationsInMilliseconds() {
        let start = Instant(milliseconds: 1_000)
        let end = start.advanced(by: .seconds(20))
        #expect(end.milliseconds == 21_000)
        #expect(start.duration(to: end) == .seconds(20))
        #expect(start.advanced(by: .microseconds(1_999)).milliseconds == 1_001)
    }

    @Test func wallTimeOfASeoulDateIsNineHoursBeforeUTC() {
        let date = LocalDate(year: 2024, month: 1, day: 1)!
        let midnightSeoul = WallTime(date, LocalTime(hour: 0)!, in: .seoul)
        let midnightUTC = WallTime(date, LocalTime(hour: 0)!, in: .utc)
        #expect(midnightUTC.millisecondsSince1970 == 1_704_067_200_000)
        #expect(midnightUTC.millisecondsSince1970 - midnightSeoul.millisecondsSince1970 == 9 * 3_600_000)
    }

    @Test func systemClockReadsPlausibleTimes() {
        let clock = SystemClock()
        let a = clock.now
        let b = clock.now
        #expect(b >= a)
        #expect(clock.wallNow.millisecondsSince1970 > 1_700_000_000_000)
    }
}

/// `Clock` must name this module's protocol, not the standard library's.
private func readTimes<C: Clock>(_ clock: C) -> (Instant, WallTime) { (clock.now, clock.wallNow) }

struct ClockProtocolTests {
    @Test func anyClockGivesMonotonicAndWallTime() {
        let (now, wall) = readTimes(ManualClock(now: Instant(milliseconds: 7)))
        #expect(now.milliseconds == 7)
        #expect(wall.millisecondsSince1970 == 0)
    }
}
