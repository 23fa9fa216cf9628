import Foundation
import Testing
import ChatCore

/// The Kaplan–Meier patience estimate: a hand-worked censored sample, a published
/// example, and the conditioned draws the shadow phone queue makes.
struct PatienceSampleTests {
    private func near(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-3) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    /// Waits (seconds) 2, 3+, 4, 4, 5+, 7, "+" answered. By hand: S(2) = 5/6; at 4 four
    /// are at risk and two leave, S(4) = 5/6 · 2/4 = 5/12; at 7 one is at risk and
    /// leaves, S(7) = 0. Median 4 s (the first S ≤ 1/2); the curve reaches 0, so the
    /// mean is the whole area: 2·1 + 2·5/6 + 3·5/12 = 59/12 s, not restricted.
    @Test func aHandWorkedCensoredSample() {
        var sample = PatienceSample()
        for s in [2, 4, 4, 7] { sample.abandoned(afterMs: Int64(s) * 1_000) }
        for s in [3, 5] { sample.answered(afterMs: Int64(s) * 1_000) }
        let curve = sample.curve()
        #expect(curve.steps.map(\.ms) == [2_000, 4_000, 7_000])
        #expect(curve.steps.map(\.atRisk) == [6, 4, 1])
        #expect(near(curve.survival(atMs: 2_000), 5.0 / 6, 1e-12))
        #expect(near(curve.survival(atMs: 3_999), 5.0 / 6, 1e-12))
        #expect(near(curve.survival(atMs: 4_000), 5.0 / 12, 1e-12))
        #expect(curve.survival(atMs: 7_000) == 0)
        #expect(curve.medianMs == 4_000)
        #expect(near(curve.mean?.ms, 59_000.0 / 12, 1e-6))
        #expect(curve.mean?.restricted == false)
        // Four abandonments over 25 s at risk.
        #expect(near(curve.tailHazardPerMs, 4.0 / 25_000, 1e-15))
    }

    /// Freireich et al. (Blood 1963), the 6-MP arm: remission in weeks, "+" censored,
    /// the textbook example of Kaplan–Meier (Kleinbaum & Klein, "Survival Analysis",
    /// ch. 2; Cox & Oakes 1984). Published: S = 0.857, 0.807, 0.753, 0.690, 0.627,
    /// 0.538, 0.448 at 6, 7, 10, 13, 16, 22, 23; median 23; the curve ends above 0 at
    /// 35+, so only the mean restricted to 35 exists: 23.29 (R `survival`'s `rmean`).
    /// A week is 50 ms here, so that every time is kept exactly (below 2,048 ms).
    @Test func theFreireichRemissionDataGiveThePublishedCurve() {
        let week: Int64 = 50
        var sample = PatienceSample()
        let relapses = [6, 6, 6, 7, 10, 13, 16, 22, 23]
        let censored = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
        for w in relapses { sample.abandoned(afterMs: Int64(w) * week) }
        for w in censored { sample.answered(afterMs: Int64(w) * week) }
        let curve = sample.curve()
        let published: [(Int64, Double)] = [(6, 0.857), (7, 0.807), (10, 0.753), (13, 0.690), (16, 0.627), (22, 0.538), (23, 0.448)]
        #expect(curve.steps.count == published.count)
        for (at, s) in published {
            #expect(near(curve.survival(atMs: at * week), s, 0.0006), "S(\(at))")
            #expect(!near(curve.survival(atMs: at * week - 1), s, 0.0006), "S just before \(at)")
        }
        #expect(curve.medianMs == 23 * week)
        #expect(near(curve.mean.map { $0.ms / Double(week) }, 23.287, 0.001))
        #expect(curve.mean?.restricted == true)
        #expect(curve.longestMs == 35 * week)
    }

    /// 100 abandonments at 1, 2, …, 100 units of 20 ms: S(t) = 1 − t/100, at least 10
    /// at risk up to 91.
    @Test func drawsAreConditionedOnTheWaitAndFollowTheTrustedCurveThenAnExponentialTail() {
        let unit: Int64 = 20
        var sample = PatienceSample()
        for s in 1...100 { sample.abandoned(afterMs: Int64(s) * unit) }
        let curve = sample.curve()
        #expect(curve.steps.last { $0.atRisk >= PatienceCurve.trustedAtRisk }?.ms == 91 * unit)
        // Unconditioned, u = 0.5: the median.
        #expect(curve.patience(exceedingMs: 0, uniform: 0.5) == 50 * unit)
        // Known to have waited 40: S(t)/S(40) ≤ 0.5 first at 70.
        #expect(curve.patience(exceedingMs: 40 * unit, uniform: 0.5) == 70 * unit)
        // Past the trusted part: the exponential tail, mean 1/λ = 5,050 / 100 = 50.5 units.
        #expect(curve.patience(exceedingMs: 95 * unit, uniform: exp(-1)) == 95 * unit + 1_010)
        // Never shorter than the wait already survived.
        for u in stride(from: 0.01, through: 1, by: 0.07) {
            #expect((curve.patience(exceedingMs: 60 * unit, uniform: u) ?? 0) > 60 * unit)
        }
    }

    @Test func withNobodyAbandonedNothingSaysAnyoneWould() {
        var sample = PatienceSample()
        for s in 1...50 { sample.answered(afterMs: Int64(s) * 100) }
        let curve = sample.curve()
        #expect(curve.steps.isEmpty)
        #expect(curve.medianMs == nil)
        #expect(curve.mean?.restricted == true)
        #expect(curve.patience(exceedingMs: 1_000, uniform: 0.3) == nil)
        #expect(PatienceSample().curve().mean == nil)
    }

    /// Exponential patience (mean 600 s), heavily censored by answers after 0–60 s:
    /// the conditioned draws have the memoryless mean, wait + 600 s, within sampling error.
    @Test func drawsFromACensoredExponentialSampleKeepItsMean() {
        var rng = SplitMix64(seed: 7)
        var sample = PatienceSample()
        for _ in 0..<20_000 {
            let patience = -log(Double.random(in: Double.leastNonzeroMagnitude..<1, using: &rng)) * 600_000
            let answerAt = Double.random(in: 0..<60_000, using: &rng)
            if patience < answerAt { sample.abandoned(afterMs: Int64(patience)) } else { sample.answered(afterMs: Int64(answerAt)) }
        }
        let curve = sample.curve()
        var total = 0.0
        let n = 4_000
        for _ in 0..<n {
            total += Double(curve.patience(exceedingMs: 30_000, uniform: Double.random(in: 0..<1, using: &rng)) ?? 0)
        }
        let mean = total / Double(n) / 1_000
        #expect(abs(mean - 630) < 630 * 0.1, "mean \(mean)")
    }

    @Test func roundingKeepsElevenSignificantBits() {
        var sample = PatienceSample()
        sample.abandoned(afterMs: 2_047)
        sample.abandoned(afterMs: 1_000_001)
        let ms = sample.curve().steps.map(\.ms)
        #expect(ms[0] == 2_047)
        #expect(abs(Double(ms[1]) - 1_000_001) / 1_000_001 < 0.001)
    }

    @Test func samplesAdd() {
        var a = PatienceSample(), b = PatienceSample(), both = PatienceSample()
        for s in [1, 3, 5] { a.abandoned(afterMs: Int64(s) * 1_000); both.abandoned(afterMs: Int64(s) * 1_000) }
        for s in [2, 4] { b.answered(afterMs: Int64(s) * 1_000); both.answered(afterMs: Int64(s) * 1_000) }
        a.add(b)
        #expect(a == both)
    }
}
