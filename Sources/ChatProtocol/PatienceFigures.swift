// The customers' patience and Erlang A as the supervisor `snapshot` and `GET /v1/stats`
// carry them (protocol/README.md, "Patience" and "Wait statistics"). Plain values.

/// One point of a Kaplan–Meier curve: the share still willing to wait just after `ms`,
/// and how many had waited that long (at risk).
public struct PatiencePoint: Hashable, Sendable, WireObject {
    public var ms: Int64
    public var survival: Double
    public var atRisk: Int64

    public init(ms: Int64, survival: Double, atRisk: Int64) {
        self.ms = ms
        self.survival = survival
        self.atRisk = atRisk
    }

    static let requiredFields = ["ms", "survival", "at_risk"]
    init(reading f: FieldReader) throws(ProtocolError) {
        ms = try f.integer("ms", cursorRange)
        survival = try f.number("survival", shareRange)
        atRisk = try f.integer("at_risk", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("ms", ms)
        w.field("survival", survival)
        w.field("at_risk", atRisk)
    }
}

/// The Kaplan–Meier estimate of how long one queue and channel's customers will wait,
/// over the whole run: `abandoned` left after their wait (observed), `answered` were
/// answered first (censored). `mean_ms` is restricted to `longest_ms` when
/// `mean_restricted` (the curve does not reach 0: the true mean is not known yet).
public struct PatienceStats: Hashable, Sendable, WireObject {
    /// Points kept of the curve (evenly thinned when longer).
    public static let curveLimit = 48

    public var abandoned: Int64
    public var answered: Int64
    public var medianMs: Int64?
    public var meanMs: Int64?
    public var meanRestricted: Bool
    public var longestMs: Int64
    /// The mean of an exponential patience fitted to the same data (time at risk over
    /// abandonments): what Erlang A uses.
    public var exponentialMeanMs: Int64?
    public var curve: [PatiencePoint]

    public init(abandoned: Int64 = 0, answered: Int64 = 0, medianMs: Int64? = nil, meanMs: Int64? = nil,
                meanRestricted: Bool = false, longestMs: Int64 = 0, exponentialMeanMs: Int64? = nil, curve: [PatiencePoint] = []) {
        self.abandoned = abandoned
        self.answered = answered
        self.medianMs = medianMs
        self.meanMs = meanMs
        self.meanRestricted = meanRestricted
        self.longestMs = longestMs
        self.exponentialMeanMs = exponentialMeanMs
        self.curve = curve
    }

    static let requiredFields = ["abandoned", "answered", "mean_restricted", "longest_ms", "curve"]
    static let optionalFields = ["median_ms", "mean_ms", "exponential_mean_ms"]
    init(reading f: FieldReader) throws(ProtocolError) {
        abandoned = try f.integer("abandoned", cursorRange)
        answered = try f.integer("answered", cursorRange)
        medianMs = try f.optionalInteger("median_ms", cursorRange)
        meanMs = try f.optionalInteger("mean_ms", cursorRange)
        meanRestricted = try f.bool("mean_restricted")
        longestMs = try f.integer("longest_ms", cursorRange)
        exponentialMeanMs = try f.optionalInteger("exponential_mean_ms", cursorRange)
        curve = try f.objects("curve", count: 0...Self.curveLimit)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("abandoned", abandoned)
        w.field("answered", answered)
        w.field("median_ms", medianMs)
        w.field("mean_ms", meanMs)
        w.field("mean_restricted", meanRestricted)
        w.field("longest_ms", longestMs)
        w.field("exponential_mean_ms", exponentialMeanMs)
        w.field("curve", curve)
    }
}

/// Erlang A's prediction for the phone line (M/M/c+M: callers hang up after an
/// exponential patience of mean `mean_patience_ms`, estimated from the live data).
public struct ErlangAStats: Hashable, Sendable, WireObject {
    public var waitProbability: Double
    public var abandonProbability: Double
    public var meanWaitMs: Int64
    /// Share answered within the service-level threshold (over every caller).
    public var serviceLevel: Double
    public var meanPatienceMs: Int64

    public init(waitProbability: Double, abandonProbability: Double, meanWaitMs: Int64, serviceLevel: Double, meanPatienceMs: Int64) {
        self.waitProbability = waitProbability
        self.abandonProbability = abandonProbability
        self.meanWaitMs = meanWaitMs
        self.serviceLevel = serviceLevel
        self.meanPatienceMs = meanPatienceMs
    }

    static let requiredFields = ["wait_probability", "abandon_probability", "mean_wait_ms", "service_level", "mean_patience_ms"]
    init(reading f: FieldReader) throws(ProtocolError) {
        waitProbability = try f.number("wait_probability", shareRange)
        abandonProbability = try f.number("abandon_probability", shareRange)
        meanWaitMs = try f.integer("mean_wait_ms", cursorRange)
        serviceLevel = try f.number("service_level", shareRange)
        meanPatienceMs = try f.integer("mean_patience_ms", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("wait_probability", waitProbability)
        w.field("abandon_probability", abandonProbability)
        w.field("mean_wait_ms", meanWaitMs)
        w.field("service_level", serviceLevel)
        w.field("mean_patience_ms", meanPatienceMs)
    }
}

/// Which phone model applies: Erlang C only while nobody has been seen to abandon
/// (it assumes nobody does); Erlang A once abandonments give a patience.
public enum PhoneModel: String, Hashable, Sendable, CaseIterable {
    case erlangC = "erlang_c"
    case erlangA = "erlang_a"
}
