/// A `ContactCenter` driven only by a command log: it applies `LoggedCommand`s in log
/// order, each at the times the entry carries, so that every replica fed the same log
/// takes the same decisions, makes the same ids and reports the same figures.
///
/// Nothing else moves it: its clock is set only by the entries (it reads no host
/// clock), and its timers run only when the log says `fireDueTimers` (whoever writes
/// the log appends one when `engine.nextDeadline` is due). Owned by one thread, the
/// node's domain thread, like the engine.
public final class CenterReplica {
    let clock: ManualClock

    /// The engine, for reads only. A command run on it directly would be in no log, and
    /// this replica would part from the others for good.
    public let engine: ContactCenter<ManualClock>

    /// Entries applied so far.
    public internal(set) var appliedCount = 0
    /// `appliedCount` as the last restore set it (0: never restored).
    var restoredCount = 0

    /// Starts with no agents, at the log's start times (`at`, `wall`; business hours
    /// are first judged at `wall`). Throws `invalid_configuration` like `ContactCenter`.
    /// Replicas must be made with the same configuration and start times.
    public init(configuration: CenterConfiguration = CenterConfiguration(),
                at start: Instant = Instant(milliseconds: 0),
                wall: WallTime = WallTime(millisecondsSince1970: 0)) throws(ChatError) {
        precondition(LoggedCommand.timeRange.contains(start.milliseconds)
                     && LoggedCommand.timeRange.contains(wall.millisecondsSince1970),
                     "start times outside LoggedCommand.timeRange")
        clock = ManualClock(now: start, wall: wall)
        engine = try ContactCenter(configuration: configuration, clock: clock)
    }

    /// The time of the last entry applied (the start time before any).
    public var now: Instant { clock.now }

    /// The civil time of the last entry applied.
    public var wallNow: WallTime { clock.wallNow }

    /// Applies the next entry of the log: moves the clock to its times, then runs its
    /// command. Its times must lie in `LoggedCommand.timeRange` (the codec ensures it).
    @discardableResult
    public func apply(_ entry: LoggedCommand) -> CommandOutcome {
        precondition(LoggedCommand.timeRange.contains(entry.at.milliseconds)
                     && LoggedCommand.timeRange.contains(entry.wall.millisecondsSince1970),
                     "entry times outside LoggedCommand.timeRange")
        // Monotonic time never goes backwards, because waits and deadlines are
        // differences of instants. An entry stamped earlier than the one before it (its
        // writer's clock differs, say after a failover) is applied at the previous
        // entry's times, both of them: every replica clamps alike, so they still agree.
        // Otherwise the wall clock takes the entry's value even when that is earlier
        // (an NTP step back), as a host's wall clock may; the engine allows for it.
        if entry.at >= clock.now {
            clock.advance(by: .milliseconds(entry.at.milliseconds - clock.now.milliseconds))
            clock.setWall(entry.wall)
        }
        appliedCount += 1
        return engine.apply(entry.command)
    }

    /// Applies entries in order; returns their outcomes.
    public func apply<S: Sequence<LoggedCommand>>(_ entries: S) -> [CommandOutcome] {
        entries.map { apply($0) }
    }
}
