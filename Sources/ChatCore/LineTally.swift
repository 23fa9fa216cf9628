/// Contacts that ended their wait without an agent, by why (`AbandonReason`). A plain value.
public struct AbandonCounts: Codable, Hashable, Sendable {
    public var left = 0
    public var timedOut = 0
    public var closed = 0

    public init(left: Int = 0, timedOut: Int = 0, closed: Int = 0) {
        self.left = left
        self.timedOut = timedOut
        self.closed = closed
    }

    public var total: Int { left + timedOut + closed }

    public subscript(reason: AbandonReason) -> Int {
        get {
            switch reason {
            case .left: left
            case .timedOut: timedOut
            case .closed: closed
            }
        }
        set {
            switch reason {
            case .left: left = newValue
            case .timedOut: timedOut = newValue
            case .closed: closed = newValue
            }
        }
    }

    mutating func add(_ other: AbandonCounts) {
        left += other.left
        timedOut += other.timedOut
        closed += other.closed
    }
}

/// What happened to the contacts of one queue and channel during a span of time (the
/// whole run, or one bucket of the sliding window). Each figure is counted at the
/// instant it became known: an arrival when the contact joined the line, a wait when
/// it was assigned, an abandonment when it ended, a handle time when it ended.
/// A plain value; owned by `WaitStatistics` (domain thread).
public struct LineTally: Codable, Sendable {
    /// Contacts that joined the line (first time only: not returns after a transfer).
    public var arrivals = 0
    /// Enqueued → first assigned, for every contact assigned.
    public var wait = WaitDistribution()
    /// Assigned contacts whose wait was at most the service-level threshold.
    public var withinThreshold = 0
    /// Enqueued → first agent reply (for a call: → assigned).
    public var speedOfAnswer = WaitDistribution()
    public var abandoned = AbandonCounts()
    /// First assigned → ended, for served contacts (transfers included).
    public var handleTime = WaitDistribution()
    /// |estimate − actual wait| of the first estimate each contact was given (at enqueue).
    public var estimateErrorAtEnqueue = WaitDistribution()
    /// |estimate − actual remaining wait| of every estimate given.
    public var estimateError = WaitDistribution()

    public init() {}

    public mutating func add(_ other: LineTally) {
        arrivals += other.arrivals
        wait.add(other.wait)
        withinThreshold += other.withinThreshold
        speedOfAnswer.add(other.speedOfAnswer)
        abandoned.add(other.abandoned)
        handleTime.add(other.handleTime)
        estimateErrorAtEnqueue.add(other.estimateErrorAtEnqueue)
        estimateError.add(other.estimateError)
    }

    /// Contacts whose wait is over: assigned or abandoned.
    public var settled: Int { wait.count + abandoned.total }

    /// Assigned within the threshold, over assigned plus abandoned (nil when none).
    public var serviceLevel: Double? { settled > 0 ? Double(withinThreshold) / Double(settled) : nil }

    /// Abandoned over assigned plus abandoned (nil when none).
    public var abandonmentRate: Double? { settled > 0 ? Double(abandoned.total) / Double(settled) : nil }
}
