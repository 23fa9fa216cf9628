#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Erlang C model of a phone line (M/M/c: Poisson arrivals, exponential handle
/// times, `c` agents who each take one call at a time, first come first served, nobody
/// hangs up): what the same contacts would have waited had they come by phone.
///
/// Pure functions of plain numbers; any thread may call them. Loads are in Erlangs
/// (arrival rate × mean handle time), times in seconds. Every function returns nil when
/// the line is unstable (load ≥ agents: the wait grows without bound) or an input is
/// not a finite, non-negative number.
///
/// P(wait) comes from the Erlang B recursion B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)),
/// then C = c·B / (c − A·(1 − B)); no factorial or power is ever formed, so it stays
/// exact to a few ulps for thousands of agents where the textbook sum overflows.
public enum ErlangC {
    /// Erlang B: the share of calls that would find every agent busy if nobody could
    /// wait (blocked calls cleared). Defined for every load, stable or not.
    public static func blockingProbability(agents: Int, load: Double) -> Double? {
        guard agents >= 0, load.isFinite, load >= 0 else { return nil }
        var blocking = 1.0
        if agents > 0 {
            for k in 1...agents {
                let carried = load * blocking
                blocking = carried / (Double(k) + carried)
            }
        }
        return blocking
    }

    /// Erlang C: the probability that a call has to wait for an agent.
    public static func probabilityOfWaiting(agents: Int, load: Double) -> Double? {
        guard agents > 0, load < Double(agents), let blocking = blockingProbability(agents: agents, load: load) else {
            return nil
        }
        let c = Double(agents)
        return c * blocking / (c - load * (1 - blocking))
    }

    /// The mean wait over all calls (average speed of answer), in seconds:
    /// P(wait) · handle time / (c − A).
    public static func meanWait(arrivalRate: Double, meanHandleTime: Double, agents: Int) -> Double? {
        guard let model = Model(arrivalRate: arrivalRate, meanHandleTime: meanHandleTime, agents: agents) else { return nil }
        return model.meanWait
    }

    /// The share of calls answered within `threshold` seconds:
    /// 1 − P(wait) · e^(−(c − A) · threshold / handle time).
    public static func serviceLevel(arrivalRate: Double, meanHandleTime: Double, agents: Int, within threshold: Double) -> Double? {
        guard let model = Model(arrivalRate: arrivalRate, meanHandleTime: meanHandleTime, agents: agents) else { return nil }
        return model.serviceLevel(within: threshold)
    }

    /// One phone line's prediction: the inputs and every figure derived from them.
    /// A plain value.
    public struct Model: Hashable, Sendable {
        /// Calls per second.
        public let arrivalRate: Double
        /// Seconds.
        public let meanHandleTime: Double
        public let agents: Int
        /// Offered load in Erlangs: arrivalRate × meanHandleTime.
        public let load: Double
        public let probabilityOfWaiting: Double

        /// Nil when the line is unstable (load ≥ agents) or an input is out of range.
        public init?(arrivalRate: Double, meanHandleTime: Double, agents: Int) {
            guard arrivalRate.isFinite, arrivalRate >= 0, meanHandleTime.isFinite, meanHandleTime >= 0 else { return nil }
            let load = arrivalRate * meanHandleTime
            guard let waiting = ErlangC.probabilityOfWaiting(agents: agents, load: load) else { return nil }
            self.arrivalRate = arrivalRate
            self.meanHandleTime = meanHandleTime
            self.agents = agents
            self.load = load
            self.probabilityOfWaiting = waiting
        }

        /// Share of the agents' time spent on calls (load / agents).
        public var occupancy: Double { load / Double(agents) }

        /// The rate (per second) at which the wait of a call that does wait runs out:
        /// (c − A) / handle time. Zero handle time makes waiting impossible (infinite).
        private var drainRate: Double {
            meanHandleTime > 0 ? (Double(agents) - load) / meanHandleTime : .infinity
        }

        /// Mean wait over all calls, seconds.
        public var meanWait: Double {
            meanHandleTime > 0 ? probabilityOfWaiting * meanHandleTime / (Double(agents) - load) : 0
        }

        /// P(wait > t): a call waits with probability P(wait), and then exponentially
        /// with rate (c − A) / handle time.
        public func probabilityOfWaitingLonger(than seconds: Double) -> Double {
            guard seconds > 0 else { return seconds < 0 ? 1 : probabilityOfWaiting }
            guard probabilityOfWaiting > 0 else { return 0 }
            return probabilityOfWaiting * exp(-drainRate * seconds)
        }

        /// The share of calls answered within `seconds`.
        public func serviceLevel(within seconds: Double) -> Double {
            1 - probabilityOfWaitingLonger(than: seconds)
        }

        /// The wait that a share `p` (0...1) of calls does not exceed, seconds: 0 while
        /// p ≤ 1 − P(wait) (those calls are answered at once), then the exponential tail.
        public func waitQuantile(_ p: Double) -> Double {
            let tail = 1 - min(max(p, 0), 1)
            guard tail < probabilityOfWaiting else { return 0 }
            guard tail > 0 else { return .infinity }
            return log(probabilityOfWaiting / tail) / drainRate
        }
    }
}
