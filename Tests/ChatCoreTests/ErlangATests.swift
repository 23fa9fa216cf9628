import Foundation
import Testing
import ChatCore

/// Erlang A (M/M/c+M). Published tables (Mandelbaum & Zeltyn's, 4CallCenters) could not
/// be reached offline, so the reference values come from `erlang_a_reference.py`
/// beside this file: the incomplete-gamma closed forms and a 40-digit birth–death sum,
/// which it checks against each other. Here they are checked against the model, and
/// the model against a plain birth–death sum and the θ = μ case (Poisson).
struct ErlangATests {
    private func close(_ a: Double, _ b: Double, _ relative: Double = 1e-9) -> Bool {
        abs(a - b) <= relative * max(abs(b), 1e-12)
    }

    /// (agents, calls per hour, handle s, patience s, threshold s) → P(wait), P(abandon),
    /// mean wait s, service level: printed by `erlang_a_reference.py` (mpmath, 40 digits).
    static let reference: [(Int, Double, Double, Double, Double, Double, Double, Double, Double)] = [
        (8, 70, 360, 600, 20, 0.44046364324352448, 0.076329246166427468, 45.797547699856481, 0.61124471570444606),
        (8, 105, 360, 600, 20, 0.88616687929733879, 0.26001593872675704, 156.00956323605422, 0.14389497830736105),
        (2, 14.4, 300, 120, 20, 0.30148188823738555, 0.18002195365165389, 21.602634438198467, 0.72582385416948887),
        (50, 540, 300, 180, 20, 0.2208861572152705, 0.024973418507558612, 4.4952153313605501, 0.89352472105665647),
        (1, 10, 360, 360, 30, 0.63212055882855768, 0.36787944117144232, 132.43659882171924, 0.3972608336099365),
    ]

    @Test func theModelMatchesTheFortyDigitReferenceValues() throws {
        for (c, perHour, handle, patience, t, wait, abandon, meanWait, level) in Self.reference {
            let m = try #require(ErlangA.Model(arrivalRate: perHour / 3_600, meanHandleTime: handle, meanPatience: patience, agents: c))
            #expect(close(m.probabilityOfWaiting, wait), "P(wait) c=\(c) λ=\(perHour)")
            #expect(close(m.probabilityOfAbandoning, abandon), "P(abandon) c=\(c) λ=\(perHour)")
            #expect(close(m.meanWait, meanWait), "mean wait c=\(c) λ=\(perHour)")
            #expect(close(m.serviceLevel(within: t), level, 1e-8), "SL c=\(c) λ=\(perHour)")
        }
    }

    /// The chain summed the plain way, π(n) ∝ Π λ / death(n), for small lines.
    @Test func theModelMatchesAPlainBirthDeathSum() throws {
        var random = SplitMix64(seed: 16)
        for _ in 0..<50 {
            let c = Int.random(in: 1...12, using: &random)
            let handle = Double.random(in: 60...600, using: &random)
            let patience = Double.random(in: 30...1_200, using: &random)
            let lambda = Double(c) / handle * Double.random(in: 0.2...1.6, using: &random)
            let (mu, theta) = (1 / handle, 1 / patience)
            var weights = [1.0]
            var n = 0
            while n < 4_000 {
                n += 1
                let death = n <= c ? Double(n) * mu : Double(c) * mu + Double(n - c) * theta
                weights.append(weights[n - 1] * lambda / death)
                if n > c && weights[n] < 1e-18 * weights.reduce(0, +) { break }
            }
            let total = weights.reduce(0, +)
            let wait = weights[c...].reduce(0, +) / total
            let queue = weights.enumerated().reduce(0.0) { $0 + Double(max(0, $1.offset - c)) * $1.element } / total
            let m = try #require(ErlangA.Model(arrivalRate: lambda, meanHandleTime: handle, meanPatience: patience, agents: c))
            #expect(close(m.probabilityOfWaiting, wait, 1e-9))
            #expect(close(m.meanQueueLength, queue, 1e-9))
            #expect(close(m.meanWait, queue / lambda, 1e-9))
            #expect(close(m.probabilityOfAbandoning, theta * queue / lambda, 1e-9))
        }
    }

    /// θ = μ: every call in the system leaves at the same rate, waiting or served, so the
    /// number in the system is Poisson(A) as in M/M/∞: P(wait) = P(N ≥ c), and the
    /// mean number waiting is E[(N − c)+].
    @Test func whenPatienceEqualsHandleTimeTheNumberInTheSystemIsPoisson() throws {
        let (c, a, handle) = (5, 3.2, 300.0)
        var pmf = [exp(-a)]
        for n in 1..<200 { pmf.append(pmf[n - 1] * a / Double(n)) }
        let wait = 1 - pmf[0..<c].reduce(0, +)
        let queue = pmf.enumerated().reduce(0.0) { $0 + Double(max(0, $1.offset - c)) * $1.element }
        let m = try #require(ErlangA.Model(arrivalRate: a / handle, meanHandleTime: handle, meanPatience: handle, agents: c))
        #expect(close(m.probabilityOfWaiting, wait, 1e-12))
        #expect(close(m.meanQueueLength, queue, 1e-10))
    }

    @Test func withVeryPatientCallersItTendsToErlangC() throws {
        let c = try #require(ErlangC.Model(arrivalRate: 7.0 / 360, meanHandleTime: 360, agents: 8))
        let a = try #require(ErlangA.Model(arrivalRate: 7.0 / 360, meanHandleTime: 360, meanPatience: 1e9, agents: 8))
        #expect(close(a.probabilityOfWaiting, c.probabilityOfWaiting, 1e-4))
        #expect(close(a.meanWait, c.meanWait, 1e-3))
        #expect(close(a.serviceLevel(within: 20), c.serviceLevel(within: 20), 1e-4))
        #expect(a.probabilityOfAbandoning < 1e-5)
    }

    @Test func largeAndOverloadedLinesStayFinite() throws {
        // 2,000 agents (Erlang B's factorials would overflow), and 3× overload.
        let big = try #require(ErlangA.Model(arrivalRate: 1_900.0 / 300, meanHandleTime: 300, meanPatience: 120, agents: 2_000))
        #expect(big.probabilityOfWaiting > 0 && big.probabilityOfWaiting < 1)
        #expect(big.serviceLevel(within: 20) > 0.9)
        let over = try #require(ErlangA.Model(arrivalRate: 30.0 / 360, meanHandleTime: 360, meanPatience: 60, agents: 10))
        #expect(over.probabilityOfWaiting > 0.95)
        // Two thirds must hang up for the agents to keep up: P(abandon) ≈ 1 − c/A.
        #expect(abs(over.probabilityOfAbandoning - (1 - 10.0 / 30)) < 0.02)
        #expect(over.serviceLevel(within: 20).isFinite)
        #expect(ErlangA.Model(arrivalRate: 0, meanHandleTime: 300, meanPatience: 60, agents: 3)?.probabilityOfWaiting == 0)
        #expect(ErlangA.Model(arrivalRate: 1, meanHandleTime: 300, meanPatience: 0, agents: 3) == nil)
        #expect(ErlangA.Model(arrivalRate: 1, meanHandleTime: 300, meanPatience: .infinity, agents: 3) == nil)
    }
}
