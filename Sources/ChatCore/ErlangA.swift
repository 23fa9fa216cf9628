#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Erlang A model of a phone line (M/M/c+M, Palm's model: Poisson arrivals,
/// exponential handle times, `c` agents, first come first served, and callers who hang
/// up after an exponential patience): what Erlang C predicts, made honest about
/// abandonment. With patience it is always stable; as the mean patience grows it tends
/// to Erlang C.
///
/// Computed from the birth–death chain of the number of calls in the system n: births
/// at λ, deaths at n·μ up to c and c·μ + (n − c)·θ beyond (θ = 1 / mean patience).
/// The states up to c weigh 1 / ErlangB(c, A) relative to state c (the stable Erlang B
/// recursion, no factorials), the states beyond are summed in logarithms until they no
/// longer count, so thousands of agents or a heavily overloaded line neither overflow
/// nor underflow. The service level uses the exact law of a caller's wait: with k
/// ahead it is served with probability cμ / (cμ + (k + 1)θ), and then within t with
/// probability 1 − I_x(cμ/θ + 1, k + 1), x = e^(−θt), a regularized incomplete beta
/// function with an integer second argument, summed as a finite series (Mandelbaum &
/// Zeltyn, "The Palm/Erlang-A queue", 2007, give the same figures through incomplete
/// gamma functions; `Tests/ChatCoreTests/erlang_a_reference.py` checks both ways).
///
/// Pure functions of plain numbers; any thread may call them. Times in seconds.
public enum ErlangA {
    /// One phone line's prediction. A plain value.
    public struct Model: Hashable, Sendable {
        /// Calls per second.
        public let arrivalRate: Double
        public let meanHandleTime: Double
        /// The callers' mean patience, seconds.
        public let meanPatience: Double
        public let agents: Int
        /// Offered load in Erlangs: arrivalRate × meanHandleTime.
        public let load: Double
        /// P(a caller finds every agent busy and waits).
        public let probabilityOfWaiting: Double
        /// P(a caller hangs up before an agent answers).
        public let probabilityOfAbandoning: Double
        /// Mean time in the line over all callers (answered or not), seconds.
        public let meanWait: Double
        /// Mean number of callers waiting.
        public let meanQueueLength: Double
        /// P(k callers waiting, all agents busy) for k = 0, 1, …, while it counts.
        let queueProbabilities: [Double]

        /// Nil when an input is not a finite positive number (zero arrivals are fine).
        public init?(arrivalRate: Double, meanHandleTime: Double, meanPatience: Double, agents: Int) {
            guard agents > 0, arrivalRate.isFinite, arrivalRate >= 0, meanHandleTime.isFinite, meanHandleTime > 0,
                  meanPatience.isFinite, meanPatience > 0 else { return nil }
            self.arrivalRate = arrivalRate
            self.meanHandleTime = meanHandleTime
            self.meanPatience = meanPatience
            self.agents = agents
            load = arrivalRate * meanHandleTime
            let serving = Double(agents) / meanHandleTime  // c·μ
            let theta = 1 / meanPatience
            guard arrivalRate > 0, let blocking = ErlangC.blockingProbability(agents: agents, load: load), blocking > 0 else {
                // Nobody comes, or so few against so many agents that all of them busy
                // is beyond a double: nobody waits.
                (probabilityOfWaiting, probabilityOfAbandoning, meanWait, meanQueueLength, queueProbabilities) = (0, 0, 0, 0, [0])
                return
            }
            // log of π(c+k)/π(c), k = 0, 1, …: past the peak, until 40 below it.
            var logs: [Double] = [0]
            var logTerm = 0.0, peak = 0.0
            let logArrival = log(arrivalRate)
            var k = 1
            while k <= 5_000_000 {
                logTerm += logArrival - log(serving + Double(k) * theta)
                logs.append(logTerm)
                peak = max(peak, logTerm)
                if serving + Double(k) * theta > arrivalRate && logTerm < peak - 40 { break }
                k += 1
            }
            let logBelow = -log(blocking)  // states 0…c, relative to c: 1 / B
            let top = max(peak, logBelow)
            var total = exp(logBelow - top)
            for l in logs.dropFirst() { total += exp(l - top) }
            let logTotal = top + log(total)
            var probabilities: [Double] = []
            probabilities.reserveCapacity(logs.count)
            var waiting = 0.0, queue = 0.0
            for (k, l) in logs.enumerated() {
                let p = exp(l - logTotal)
                probabilities.append(p)
                waiting += p
                queue += Double(k) * p
            }
            queueProbabilities = probabilities
            probabilityOfWaiting = min(1, waiting)
            meanQueueLength = queue
            meanWait = queue / arrivalRate  // Little's law on the line
            probabilityOfAbandoning = min(1, theta * queue / arrivalRate)  // hang-ups per second over arrivals
        }

        /// The share of callers answered within `seconds` (over every caller, those who
        /// hang up included).
        public func serviceLevel(within seconds: Double) -> Double {
            let answeredAtOnce = 1 - probabilityOfWaiting
            guard seconds > 0, probabilityOfWaiting > 0 else { return answeredAtOnce }
            let serving = Double(agents) / meanHandleTime
            let theta = 1 / meanPatience
            let m = serving / theta
            // 1 − I_x(m + 1, k + 1) = 1 − Σ_{i ≤ k} T_i, T_0 = x^(m+1),
            // T_i = T_(i−1) · (m + i) / i · (1 − x); summed in logarithms.
            let logX = -theta * seconds
            let log1mX = log(-expm1(logX))
            var logT = (m + 1) * logX
            var logSum = logT
            var within = answeredAtOnce
            for (k, p) in queueProbabilities.enumerated() {
                if k > 0 {
                    logT += log((m + Double(k)) / Double(k)) + log1mX
                    logSum = logSum >= logT ? logSum + log1p(exp(logT - logSum)) : logT + log1p(exp(logSum - logT))
                }
                let served = serving / (serving + Double(k + 1) * theta)
                within += p * served * max(0, -expm1(min(0, logSum)))
            }
            return min(1, max(0, within))
        }
    }
}
