#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How long the customers of one queue and channel were willing to wait, as far as the
/// live data tells: a contact that abandoned after waiting w shows a patience of w (an
/// observed event); one answered after w only shows that its patience was longer than
/// w (a right-censored observation). `curve()` turns the sample into the Kaplan–Meier
/// estimate of the patience distribution (Kaplan & Meier, JASA 1958; its use for call
/// centers: Brown et al., JASA 2005, section 5).
///
/// Waits are kept as counts per wait, rounded to 11 significant bits above 2,048 ms
/// (relative error under 0.05%), so memory grows with the distinct waits seen, at most
/// about 512 per doubling of the wait (some 15,000 up to a year). A plain value; owned
/// by `WaitStatistics` (domain thread).
public struct PatienceSample: Codable, Hashable, Sendable {
    struct Counts: Codable, Hashable, Sendable {
        var abandoned = 0
        var answered = 0
    }

    private(set) var counts: [Int64: Counts] = [:]
    /// Abandonments (observed patiences).
    public private(set) var abandoned = 0
    /// Answered contacts (patience censored at their wait).
    public private(set) var answered = 0
    /// The sum of every wait, observed or censored, milliseconds: the time at risk.
    public private(set) var exposureMs: Double = 0

    public init() {}

    /// A contact left the line after waiting `ms`: its patience was `ms`.
    public mutating func abandoned(afterMs ms: Int64) {
        let ms = Self.rounded(ms)
        counts[ms, default: Counts()].abandoned += 1
        abandoned += 1
        exposureMs += Double(ms)
    }

    /// A contact was answered (or left for another reason than giving up) after
    /// waiting `ms`: its patience was longer.
    public mutating func answered(afterMs ms: Int64) {
        let ms = Self.rounded(ms)
        counts[ms, default: Counts()].answered += 1
        answered += 1
        exposureMs += Double(ms)
    }

    public mutating func add(_ other: PatienceSample) {
        for (ms, c) in other.counts {
            counts[ms, default: Counts()].abandoned += c.abandoned
            counts[ms, default: Counts()].answered += c.answered
        }
        abandoned += other.abandoned
        answered += other.answered
        exposureMs += other.exposureMs
    }

    /// Keeps 11 significant bits: exact below 2,048 ms.
    static func rounded(_ ms: Int64) -> Int64 {
        let ms = max(0, ms)
        let bits = 64 - ms.leadingZeroBitCount
        guard bits > 11 else { return ms }
        let drop = bits - 11
        return (ms >> drop) << drop
    }

    /// The Kaplan–Meier estimate from everything observed so far. O(distinct waits · log).
    public func curve() -> PatienceCurve {
        var steps: [PatienceCurve.Step] = []
        var atRisk = abandoned + answered
        var survival = 1.0
        var longest: Int64 = 0
        for ms in counts.keys.sorted() {
            let c = counts[ms]!  // A key just read from the dictionary.
            if c.abandoned > 0 {
                // Contacts answered at the same wait count as still at risk then (the
                // usual convention: censoring just after the events at that time).
                survival *= 1 - Double(c.abandoned) / Double(atRisk)
                steps.append(.init(ms: ms, survival: survival, atRisk: atRisk, abandoned: c.abandoned))
            }
            atRisk -= c.abandoned + c.answered
            longest = ms
        }
        return PatienceCurve(steps: steps, abandoned: abandoned, answered: answered, longestMs: longest,
                             tailHazardPerMs: exposureMs > 0 ? Double(abandoned) / exposureMs : 0)
    }
}

/// The Kaplan–Meier estimate of a patience distribution: the survival function S(t),
/// the probability that a customer is still willing to wait after t, as a step function
/// that drops at every wait at which someone abandoned. A plain value.
public struct PatienceCurve: Codable, Hashable, Sendable {
    /// S just after `ms`, with how many were at risk (waited at least `ms`) and how many
    /// abandoned at `ms`.
    public struct Step: Codable, Hashable, Sendable {
        public var ms: Int64
        public var survival: Double
        public var atRisk: Int
        public var abandoned: Int
    }

    /// Draws follow the curve only where at least this many were at risk; beyond, the
    /// exponential tail (too few left to trust each step).
    public static let trustedAtRisk = 10

    public var steps: [Step]
    public var abandoned: Int
    public var answered: Int
    /// The longest wait observed, abandoned or answered: the curve says nothing beyond.
    public var longestMs: Int64
    /// Abandonments over the total time at risk: the rate of an exponential patience
    /// fitted to the same data (its maximum-likelihood estimate under censoring).
    public var tailHazardPerMs: Double

    /// S(t): the share still willing to wait after `ms`.
    public func survival(atMs ms: Int64) -> Double {
        var s = 1.0
        for step in steps {
            guard step.ms <= ms else { break }
            s = step.survival
        }
        return s
    }

    /// The median patience: the first wait at which S falls to 0.5 or below (nil while
    /// it has not: more than half would wait longer than anything seen).
    public var medianMs: Int64? { steps.first { $0.survival <= 0.5 }?.ms }

    /// The mean patience, the area under S, and whether it is restricted: when the
    /// curve does not reach 0 (the longest wait seen was answered, not abandoned), the
    /// true mean is not identified and this is the mean restricted to `longestMs`
    /// (∫₀^longest S). Nil before any observation.
    public var mean: (ms: Double, restricted: Bool)? {
        guard abandoned + answered > 0 else { return nil }
        var area = 0.0, last: Int64 = 0, s = 1.0
        for step in steps {
            area += Double(step.ms - last) * s
            last = step.ms
            s = step.survival
        }
        area += Double(longestMs - last) * s
        return (area, s > 0)
    }

    /// A patience drawn for a contact known to have waited `waitedMs` without giving up
    /// (answered): from S conditioned on exceeding `waitedMs`, by inversion of `uniform`
    /// (in (0, 1]). The curve is followed while at least `trustedAtRisk` were at risk,
    /// then an exponential tail at `tailHazardPerMs` continues it. Nil: no one has
    /// abandoned yet, so nothing says this customer ever would.
    public func patience(exceedingMs waitedMs: Int64, uniform: Double) -> Int64? {
        guard tailHazardPerMs > 0 else { return nil }
        let u = min(max(uniform, .leastNonzeroMagnitude), 1)
        let trusted = steps.prefix { $0.atRisk >= Self.trustedAtRisk }
        let trustedEnd = trusted.last
        // S at the contact's wait, on the trusted part of the curve.
        var sAtWait = 1.0
        for step in trusted where step.ms <= waitedMs { sAtWait = step.survival }
        let target = u * sAtWait
        if sAtWait > 0 {
            for step in trusted where step.ms > waitedMs && step.survival <= target { return step.ms }
        }
        // Beyond the trusted curve: S(t) = S(from) · exp(−λ (t − from)).
        let from = max(waitedMs, trustedEnd?.ms ?? 0)
        let sFrom = waitedMs >= (trustedEnd?.ms ?? 0) ? sAtWait : (trustedEnd?.survival ?? 1)
        let extra = sFrom > 0 && target > 0 ? log(sFrom / target) / tailHazardPerMs : -log(u) / tailHazardPerMs
        guard extra.isFinite, extra < 1e13 else { return nil }
        return from + Int64(extra.rounded(.up))
    }
}

/// The patience curve as the estimator reads it: S(t) on the part of the Kaplan–Meier
/// curve where at least `PatienceCurve.trustedAtRisk` were at risk, continued by the
/// exponential tail, with O(log n) lookups. A plain value.
public struct PatienceOutlook: Sendable {
    private let ms: [Int64]
    private let survival: [Double]
    private let tailFromMs: Int64
    private let tailFrom: Double
    private let hazardPerMs: Double

    public init(_ curve: PatienceCurve) {
        let trusted = curve.steps.prefix { $0.atRisk >= PatienceCurve.trustedAtRisk }
        ms = trusted.map(\.ms)
        survival = trusted.map(\.survival)
        tailFromMs = trusted.last?.ms ?? 0
        tailFrom = trusted.last?.survival ?? 1
        hazardPerMs = curve.tailHazardPerMs
    }

    /// Whether anyone has abandoned: without, everyone is taken to wait it out.
    public var knowsAbandonment: Bool { hazardPerMs > 0 }

    /// S(t): the share still willing to wait after `t` ms.
    public func survival(atMs t: Double) -> Double {
        if t > Double(tailFromMs) { return tailFrom * exp(-hazardPerMs * (t - Double(tailFromMs))) }
        var low = 0, high = ms.count  // the last step at or before t
        while low < high {
            let mid = (low + high) / 2
            if Double(ms[mid]) <= t { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 1 : survival[low - 1]
    }

    /// P(still willing to wait `more` ms | has waited `waited` ms).
    public func stays(waitedMs waited: Double, forMs more: Double) -> Double {
        let now = survival(atMs: waited)
        guard now > 0 else { return exp(-hazardPerMs * more) }
        return min(1, survival(atMs: waited + more) / now)
    }
}
