/// How fast one line's waiting contacts are taken by agents, measured live: the
/// estimator behind `estimated_wait_ms` (protocol/README.md, "Estimated wait").
///
/// It counts departures (a contact that waited, taken by an agent; one taken the
/// instant it arrived shows only that agents had room) and the time the line
/// was busy (had at least one contact waiting or offered), over a sliding window. While
/// a line is busy, agents take its contacts at the service rate, so the mean gap
/// between departures is busy time / departures, and the contact at place p can expect
/// about p gaps. Idle time (an empty line) is not counted: it says nothing about how
/// fast agents free up. A plain value; owned by `WaitStatistics` (domain thread).
struct LineServiceRate: Codable, Sendable {
    struct Bucket: Codable, Sendable {
        var departures = 0
        var busyMs: Int64 = 0
    }

    /// Departures needed in the window before the measured rate is trusted.
    static let minimumDepartures = 3

    private(set) var waiting = 0
    private var lastAccrual: Instant
    private var buckets: TimeBuckets<Bucket>

    init(windowMs: Int64, now: Instant) {
        lastAccrual = now
        buckets = TimeBuckets(windowMs: windowMs, bucketMs: max(1, windowMs / 10), empty: Bucket())
    }

    /// Adds the busy time since the last change (call before any change, and before reading).
    mutating func accrue(_ now: Instant) {
        if waiting > 0, now > lastAccrual {
            let busy = now.milliseconds - lastAccrual.milliseconds
            buckets.update(at: now) { $0.busyMs += busy }
        }
        if now > lastAccrual { lastAccrual = now }
    }

    mutating func joined(_ now: Instant) {
        accrue(now)
        waiting += 1
    }

    /// A contact left the line: taken by an agent (`departed`), or gone otherwise.
    mutating func left(_ now: Instant, departed: Bool) {
        accrue(now)
        waiting = max(0, waiting - 1)
        if departed { buckets.update(at: now) { $0.departures += 1 } }
    }

    /// The mean busy time between departures in the window, or nil with too few.
    func meanGapMs(at now: Instant) -> Double? {
        var total = buckets.reduce(at: now, into: Bucket()) { sum, b in
            sum.departures += b.departures
            sum.busyMs += b.busyMs
        }
        // Busy time not yet accrued counts too: a line stuck without departures must
        // see its estimate grow.
        if waiting > 0, now > lastAccrual { total.busyMs += now.milliseconds - lastAccrual.milliseconds }
        guard total.departures >= Self.minimumDepartures else { return nil }
        return Double(total.busyMs) / Double(total.departures)
    }
}
