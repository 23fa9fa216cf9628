#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the broker's monotonic timeline, in milliseconds since an arbitrary
/// epoch chosen by the clock (for `SystemClock`, the host's boot).
///
/// Every timestamp the core records (enqueued, offered, assigned, ended, …) is an
/// `Instant`, so the difference of two of them is an exact wait in milliseconds that
/// no wall-clock step can distort. A plain value; owned by whoever holds it.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the clock's epoch.
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    /// This instant moved forward (or back, for a negative duration) by `duration`,
    /// truncated to whole milliseconds.
    public func advanced(by duration: Duration) -> Instant {
        Instant(milliseconds: milliseconds &+ duration.wholeMilliseconds)
    }

    /// The time from this instant to `later` (negative when `later` is earlier).
    public func duration(to later: Instant) -> Duration {
        .milliseconds(later.milliseconds - milliseconds)
    }

    public var description: String { "\(milliseconds)ms" }
}

/// A point in civil time: milliseconds since 1970-01-01T00:00:00Z, as a wall clock
/// shows it. Used only for business hours (which are about the calendar), never to
/// measure a wait. A plain value.
public struct WallTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch, UTC, ignoring leap seconds.
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    /// The wall time at which `time` begins on `date` in `zone`.
    public init(_ date: LocalDate, _ time: LocalTime, in zone: TimeZoneOffset) {
        let localSeconds = Int64(date.daysSince1970) * 86_400 + Int64(time.minutesSinceMidnight) * 60
        self.millisecondsSince1970 = zone.utcSeconds(local: localSeconds) * 1_000
    }

    public static func < (lhs: WallTime, rhs: WallTime) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    public func advanced(by duration: Duration) -> WallTime {
        WallTime(millisecondsSince1970: millisecondsSince1970 &+ duration.wholeMilliseconds)
    }

    public var description: String { "wall:\(millisecondsSince1970)ms" }
}

/// Where the core reads time: a monotonic `now` for every timestamp and deadline, and
/// the wall clock for business hours only.
///
/// The core never sleeps or schedules anything itself; it reports its next deadline
/// (`ContactCenter.nextDeadline`) and the broker's domain thread calls back when it is
/// due. Read only on that thread.
public protocol Clock {
    /// Monotonic time: never goes backwards.
    var now: Instant { get }
    /// Civil time, for business hours. May be stepped by the host (NTP).
    var wallNow: WallTime { get }
}

/// A clock that moves only when told to: the test clock.
///
/// A reference type so that a test can advance the very clock a `ContactCenter` holds.
/// Owned by the test that created it (one thread).
public final class ManualClock: Clock {
    public private(set) var now: Instant
    public private(set) var wallNow: WallTime

    /// Starts at `now` on the monotonic line and at `wall` on the calendar.
    public init(now: Instant = Instant(milliseconds: 0), wall: WallTime = WallTime(millisecondsSince1970: 0)) {
        self.now = now
        self.wallNow = wall
    }

    /// Moves both clocks forward by `duration` (which must not be negative).
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a monotonic clock cannot go back")
        now = now.advanced(by: duration)
        wallNow = wallNow.advanced(by: duration)
    }

    /// Steps the wall clock alone, as NTP may; the monotonic line does not move.
    public func setWall(_ wall: WallTime) {
        wallNow = wall
    }
}

/// The host's clocks: CLOCK_MONOTONIC for `now`, CLOCK_REALTIME for `wallNow`.
///
/// Reading a clock is the only contact with the host that this module has. Stateless;
/// any thread may read it, but the core only does so on the domain thread.
public struct SystemClock: Clock, Sendable {
    public init() {}

    public var now: Instant {
        Instant(milliseconds: Self.read(CLOCK_MONOTONIC))
    }

    public var wallNow: WallTime {
        WallTime(millisecondsSince1970: Self.read(CLOCK_REALTIME))
    }

    private static func read(_ id: clockid_t) -> Int64 {
        var spec = timespec()
        // clock_gettime cannot fail for these two clock ids on any supported kernel.
        _ = clock_gettime(id, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

extension Duration {
    /// The duration in whole milliseconds (truncated toward zero).
    var wholeMilliseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
