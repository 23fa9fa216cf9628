import ArgumentParser
import ChatCore

/// `switchboard-loadtest routing`: routing decisions per second in the pure domain
/// core, with no network at all (the broker issue's micro-benchmark).
struct RoutingMicroBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Routing decisions per second in the pure core (ChatCore), no I/O.",
        discussion: "Every agent is full and --waiting customers wait; each step ends a random conversation, whose freed slot goes to the oldest waiting customer the agent serves (one decision), and a new customer arrives. Prints the median of --runs runs."
    )

    @Option(help: "Agents (3 chat slots each, two of the four default queues each).")
    var agents = 1_000

    @Option(help: "Customers kept waiting in line.")
    var waiting = 10_000

    @Option(help: "Routing decisions per run.")
    var decisions = 1_000_000

    @Option(help: "Runs; the median is reported.")
    var runs = 3

    @Flag(help: "Print the result as one JSON object on the last line.")
    var json = false

    func validate() throws {
        guard agents > 0, waiting >= 0, decisions > 0, (1...20).contains(runs) else {
            throw ValidationError("--agents and --decisions must be positive, --waiting not negative, --runs 1…20")
        }
    }

    func run() {
        var rates: [Double] = []
        for run in 1...runs {
            let result = RoutingBenchmark.run(agents: agents, waiting: waiting, decisions: decisions, seed: 0x5EED &+ UInt64(run))
            print("run \(run): \(result)")
            rates.append(result.decisionsPerSecond)
        }
        let median = rates.sorted()[rates.count / 2]
        print("routing: median \(Int(median.rounded())) decisions/s over \(runs) runs (\(agents) agents, \(waiting) waiting)")
        if json {
            print("{\"agents\":\(agents),\"waiting\":\(waiting),\"decisions_per_run\":\(decisions),\"decisions_per_sec_median\":\(format(median, 0))}")
        }
    }
}
