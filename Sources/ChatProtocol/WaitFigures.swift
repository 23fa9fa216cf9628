// The wait statistics as the supervisor `snapshot` and `GET /v1/stats` carry them
// (protocol/README.md, "Wait statistics"). Plain values; every duration is whole
// milliseconds, every share a number in 0...1.

let shareRange: ClosedRange<Double> = 0...1
let figureRange: ClosedRange<Double> = 0...1e15

/// Count, mean and percentiles of some durations (waits, speeds of answer, handle
/// times, estimate errors). Figures are absent while `count` is 0.
public struct DurationStats: Hashable, Sendable, WireObject {
    public var count: Int64
    public var meanMs: Int64?
    public var p50Ms: Int64?
    public var p90Ms: Int64?
    public var p99Ms: Int64?

    public init(count: Int64 = 0, meanMs: Int64? = nil, p50Ms: Int64? = nil, p90Ms: Int64? = nil, p99Ms: Int64? = nil) {
        self.count = count
        self.meanMs = meanMs
        self.p50Ms = p50Ms
        self.p90Ms = p90Ms
        self.p99Ms = p99Ms
    }

    static let requiredFields = ["count"]
    static let optionalFields = ["mean_ms", "p50_ms", "p90_ms", "p99_ms"]
    init(reading f: FieldReader) throws(ProtocolError) {
        count = try f.integer("count", cursorRange)
        meanMs = try f.optionalInteger("mean_ms", cursorRange)
        p50Ms = try f.optionalInteger("p50_ms", cursorRange)
        p90Ms = try f.optionalInteger("p90_ms", cursorRange)
        p99Ms = try f.optionalInteger("p99_ms", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("count", count)
        w.field("mean_ms", meanMs)
        w.field("p50_ms", p50Ms)
        w.field("p90_ms", p90Ms)
        w.field("p99_ms", p99Ms)
    }
}

/// Contacts that ended without an agent, by reason (`left`, `timed_out`, `closed`).
public struct AbandonStats: Hashable, Sendable, WireObject {
    public var total: Int64
    public var left: Int64
    public var timedOut: Int64
    public var closed: Int64

    public init(left: Int64 = 0, timedOut: Int64 = 0, closed: Int64 = 0) {
        self.total = left + timedOut + closed
        self.left = left
        self.timedOut = timedOut
        self.closed = closed
    }

    static let requiredFields = ["total", "left", "timed_out", "closed"]
    init(reading f: FieldReader) throws(ProtocolError) {
        total = try f.integer("total", cursorRange)
        left = try f.integer("left", cursorRange)
        timedOut = try f.integer("timed_out", cursorRange)
        closed = try f.integer("closed", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("total", total)
        w.field("left", left)
        w.field("timed_out", timedOut)
        w.field("closed", closed)
    }
}

/// One queue and channel's figures over one span (the whole run or the window).
public struct LineStats: Hashable, Sendable, WireObject {
    public var arrivals: Int64
    public var wait: DurationStats
    public var speedOfAnswer: DurationStats
    public var handle: DurationStats
    /// Assigned within the threshold over assigned plus abandoned.
    public var serviceLevel: Double?
    public var abandoned: AbandonStats
    /// Abandoned over assigned plus abandoned.
    public var abandonmentRate: Double?
    /// |estimate − actual remaining wait| of every estimate given.
    public var estimateError: DurationStats
    /// |estimate − actual wait| of each contact's first estimate (in `queued`).
    public var estimateErrorAtEnqueue: DurationStats

    public init(arrivals: Int64 = 0, wait: DurationStats = DurationStats(), speedOfAnswer: DurationStats = DurationStats(),
                handle: DurationStats = DurationStats(), serviceLevel: Double? = nil, abandoned: AbandonStats = AbandonStats(),
                abandonmentRate: Double? = nil, estimateError: DurationStats = DurationStats(),
                estimateErrorAtEnqueue: DurationStats = DurationStats()) {
        self.arrivals = arrivals
        self.wait = wait
        self.speedOfAnswer = speedOfAnswer
        self.handle = handle
        self.serviceLevel = serviceLevel
        self.abandoned = abandoned
        self.abandonmentRate = abandonmentRate
        self.estimateError = estimateError
        self.estimateErrorAtEnqueue = estimateErrorAtEnqueue
    }

    static let requiredFields = ["arrivals", "wait", "speed_of_answer", "handle", "abandoned", "estimate_error",
                                 "estimate_error_at_enqueue"]
    static let optionalFields = ["service_level", "abandonment_rate"]
    init(reading f: FieldReader) throws(ProtocolError) {
        arrivals = try f.integer("arrivals", cursorRange)
        wait = try f.object("wait")
        speedOfAnswer = try f.object("speed_of_answer")
        handle = try f.object("handle")
        serviceLevel = try f.optionalNumber("service_level", shareRange)
        abandoned = try f.object("abandoned")
        abandonmentRate = try f.optionalNumber("abandonment_rate", shareRange)
        estimateError = try f.object("estimate_error")
        estimateErrorAtEnqueue = try f.object("estimate_error_at_enqueue")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("arrivals", arrivals)
        w.field("wait", wait)
        w.field("speed_of_answer", speedOfAnswer)
        w.field("handle", handle)
        w.field("service_level", serviceLevel)
        w.field("abandoned", abandoned)
        w.field("abandonment_rate", abandonmentRate)
        w.field("estimate_error", estimateError)
        w.field("estimate_error_at_enqueue", estimateErrorAtEnqueue)
    }
}

/// A span pair: the whole run and the sliding window, and for a live channel the
/// customers' patience over the whole run.
public struct SpanStats: Hashable, Sendable, WireObject {
    public var run: LineStats
    public var window: LineStats
    public var patience: PatienceStats?

    public init(run: LineStats = LineStats(), window: LineStats = LineStats(), patience: PatienceStats? = nil) {
        self.run = run
        self.window = window
        self.patience = patience
    }

    static let requiredFields = ["run", "window"]
    static let optionalFields = ["patience"]
    init(reading f: FieldReader) throws(ProtocolError) {
        run = try f.object("run")
        window = try f.object("window")
        patience = try f.optionalObject("patience")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("run", run)
        w.field("window", window)
        w.field("patience", patience)
    }
}

/// Measured waits of a queue (or the center) by live channel.
public struct WaitStats: Hashable, Sendable, WireObject {
    public var chat: SpanStats
    public var voice: SpanStats

    public init(chat: SpanStats = SpanStats(), voice: SpanStats = SpanStats()) {
        self.chat = chat
        self.voice = voice
    }

    static let requiredFields = ["chat", "voice"]
    init(reading f: FieldReader) throws(ProtocolError) {
        chat = try f.object("chat")
        voice = try f.object("voice")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("chat", chat)
        w.field("voice", voice)
    }

    /// The compact JSON encoding of this object.
    public var json: String { jsonText(of: self) }
}

/// Erlang C's prediction for the phone line.
public struct ErlangCStats: Hashable, Sendable, WireObject {
    public var waitProbability: Double
    public var meanWaitMs: Int64
    /// Share answered within the service-level threshold.
    public var serviceLevel: Double
    public var p90WaitMs: Int64?

    public init(waitProbability: Double, meanWaitMs: Int64, serviceLevel: Double, p90WaitMs: Int64? = nil) {
        self.waitProbability = waitProbability
        self.meanWaitMs = meanWaitMs
        self.serviceLevel = serviceLevel
        self.p90WaitMs = p90WaitMs
    }

    static let requiredFields = ["wait_probability", "mean_wait_ms", "service_level"]
    static let optionalFields = ["p90_wait_ms"]
    init(reading f: FieldReader) throws(ProtocolError) {
        waitProbability = try f.number("wait_probability", shareRange)
        meanWaitMs = try f.integer("mean_wait_ms", cursorRange)
        serviceLevel = try f.number("service_level", shareRange)
        p90WaitMs = try f.optionalInteger("p90_wait_ms", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("wait_probability", waitProbability)
        w.field("mean_wait_ms", meanWaitMs)
        w.field("service_level", serviceLevel)
        w.field("p90_wait_ms", p90WaitMs)
    }
}

/// The shadow phone queue's settled waits over one span.
public struct ShadowStats: Hashable, Sendable, WireObject {
    /// Waits of the contacts the phone would have answered.
    public var wait: DurationStats
    public var serviceLevel: Double?
    /// Contacts that would have hung up before the phone answered.
    public var abandoned: Int64

    public init(wait: DurationStats = DurationStats(), serviceLevel: Double? = nil, abandoned: Int64 = 0) {
        self.wait = wait
        self.serviceLevel = serviceLevel
        self.abandoned = abandoned
    }

    static let requiredFields = ["wait", "abandoned"]
    static let optionalFields = ["service_level"]
    init(reading f: FieldReader) throws(ProtocolError) {
        wait = try f.object("wait")
        serviceLevel = try f.optionalNumber("service_level", shareRange)
        abandoned = try f.integer("abandoned", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("wait", wait)
        w.field("service_level", serviceLevel)
        w.field("abandoned", abandoned)
    }
}

/// What the same contacts would have waited by phone (one per agent on duty), next to
/// what they really waited (`measured`, chat and voice together).
public struct PhoneComparison: Hashable, Sendable, WireObject {
    public var agentsOnDuty: Int64
    /// Contacts joining a line per hour, over the window.
    public var arrivalsPerHour: Double
    public var meanHandleMs: Int64?
    /// Erlangs: arrival rate × mean handle time. At or above `agents_on_duty` a phone
    /// line would not keep up, and `erlang_c` is absent.
    public var offeredLoad: Double?
    public var erlangC: ErlangCStats?
    /// Erlang A, once abandonments give a patience (stable at any load).
    public var erlangA: ErlangAStats?
    /// Which of the two applies: Erlang C only while nobody has abandoned.
    public var applies: PhoneModel
    public var shadowRun: ShadowStats
    public var shadowWindow: ShadowStats
    /// Contacts whose shadow wait is not settled yet.
    public var shadowPending: Int64
    public var measured: SpanStats

    public init(agentsOnDuty: Int64, arrivalsPerHour: Double, meanHandleMs: Int64? = nil, offeredLoad: Double? = nil,
                erlangC: ErlangCStats? = nil, erlangA: ErlangAStats? = nil, applies: PhoneModel = .erlangC,
                shadowRun: ShadowStats = ShadowStats(), shadowWindow: ShadowStats = ShadowStats(),
                shadowPending: Int64 = 0, measured: SpanStats = SpanStats()) {
        self.agentsOnDuty = agentsOnDuty
        self.arrivalsPerHour = arrivalsPerHour
        self.meanHandleMs = meanHandleMs
        self.offeredLoad = offeredLoad
        self.erlangC = erlangC
        self.erlangA = erlangA
        self.applies = applies
        self.shadowRun = shadowRun
        self.shadowWindow = shadowWindow
        self.shadowPending = shadowPending
        self.measured = measured
    }

    static let requiredFields = ["agents_on_duty", "arrivals_per_hour", "applies", "shadow", "measured"]
    static let optionalFields = ["mean_handle_ms", "offered_load", "erlang_c", "erlang_a"]
    init(reading f: FieldReader) throws(ProtocolError) {
        agentsOnDuty = try f.integer("agents_on_duty", cursorRange)
        arrivalsPerHour = try f.number("arrivals_per_hour", figureRange)
        meanHandleMs = try f.optionalInteger("mean_handle_ms", cursorRange)
        offeredLoad = try f.optionalNumber("offered_load", figureRange)
        erlangC = try f.optionalObject("erlang_c")
        erlangA = try f.optionalObject("erlang_a")
        applies = try f.word("applies")
        let shadow = try f.object("shadow", ShadowSpans.self)
        shadowRun = shadow.run
        shadowWindow = shadow.window
        shadowPending = shadow.pending
        measured = try f.object("measured")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("agents_on_duty", agentsOnDuty)
        w.field("arrivals_per_hour", arrivalsPerHour)
        w.field("mean_handle_ms", meanHandleMs)
        w.field("offered_load", offeredLoad)
        w.field("erlang_c", erlangC)
        w.field("erlang_a", erlangA)
        w.field("applies", applies)
        w.field("shadow", ShadowSpans(run: shadowRun, window: shadowWindow, pending: shadowPending))
        w.field("measured", measured)
    }

    /// The compact JSON encoding of this object.
    public var json: String { jsonText(of: self) }
}

/// `shadow` inside `phone`: both spans and what is still unsettled.
struct ShadowSpans: WireObject {
    var run: ShadowStats
    var window: ShadowStats
    var pending: Int64

    init(run: ShadowStats, window: ShadowStats, pending: Int64) {
        self.run = run
        self.window = window
        self.pending = pending
    }

    static let requiredFields = ["run", "window", "pending"]
    init(reading f: FieldReader) throws(ProtocolError) {
        run = try f.object("run")
        window = try f.object("window")
        pending = try f.integer("pending", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("run", run)
        w.field("window", window)
        w.field("pending", pending)
    }
}

/// Agent occupancy (busy capacity share) and concurrency (chats per agent holding chats).
public struct LoadStats: Hashable, Sendable, WireObject {
    public var occupancy: Double?
    public var concurrency: Double?

    public init(occupancy: Double? = nil, concurrency: Double? = nil) {
        self.occupancy = occupancy
        self.concurrency = concurrency
    }

    static let requiredFields: [String] = []
    static let optionalFields = ["occupancy", "concurrency"]
    init(reading f: FieldReader) throws(ProtocolError) {
        occupancy = try f.optionalNumber("occupancy", shareRange)
        concurrency = try f.optionalNumber("concurrency", figureRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("occupancy", occupancy)
        w.field("concurrency", concurrency)
    }
}

/// The agents' load now, time-weighted over the run and over the window.
public struct AgentLoadStats: Hashable, Sendable, WireObject {
    public var onDuty: Int64
    public var now: LoadStats
    public var run: LoadStats
    public var window: LoadStats

    public init(onDuty: Int64, now: LoadStats, run: LoadStats, window: LoadStats) {
        self.onDuty = onDuty
        self.now = now
        self.run = run
        self.window = window
    }

    static let requiredFields = ["on_duty", "now", "run", "window"]
    init(reading f: FieldReader) throws(ProtocolError) {
        onDuty = try f.integer("on_duty", cursorRange)
        now = try f.object("now")
        run = try f.object("run")
        window = try f.object("window")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("on_duty", onDuty)
        w.field("now", now)
        w.field("run", run)
        w.field("window", window)
    }
}

/// The whole center's statistics: settings, agent load, waits of all queues together
/// and the center's phone comparison.
public struct CenterStats: Hashable, Sendable, WireObject {
    public var serviceLevelThresholdMs: Int64
    public var windowMs: Int64
    public var agents: AgentLoadStats
    public var wait: WaitStats
    public var phone: PhoneComparison

    public init(serviceLevelThresholdMs: Int64, windowMs: Int64, agents: AgentLoadStats, wait: WaitStats, phone: PhoneComparison) {
        self.serviceLevelThresholdMs = serviceLevelThresholdMs
        self.windowMs = windowMs
        self.agents = agents
        self.wait = wait
        self.phone = phone
    }

    static let requiredFields = ["service_level_threshold_ms", "window_ms", "agents", "wait", "phone"]
    init(reading f: FieldReader) throws(ProtocolError) {
        serviceLevelThresholdMs = try f.integer("service_level_threshold_ms", cursorRange)
        windowMs = try f.integer("window_ms", cursorRange)
        agents = try f.object("agents")
        wait = try f.object("wait")
        phone = try f.object("phone")
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("service_level_threshold_ms", serviceLevelThresholdMs)
        w.field("window_ms", windowMs)
        w.field("agents", agents)
        w.field("wait", wait)
        w.field("phone", phone)
    }

    /// The compact JSON encoding of this object.
    public var json: String { jsonText(of: self) }
}

/// One object's compact JSON, for pages that embed it (`/v1/stats`).
func jsonText(of object: some WireObject) -> String {
    var w = JSONWriter()
    object.writeObject(to: &w)
    return String(decoding: w.bytes, as: UTF8.self)
}
