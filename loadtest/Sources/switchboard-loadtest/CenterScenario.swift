#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ChatCore
import TOMLKit

/// A random duration law, in shift seconds. A plain value.
enum DurationLaw: Equatable {
    case fixed(Double)
    case exponential(mean: Double)
    /// Log-normal with this mean and σ of the logarithm (μ = ln mean − σ²/2).
    case logNormal(mean: Double, sigma: Double)

    var mean: Double {
        switch self {
        case .fixed(let v): v
        case .exponential(let mean), .logNormal(let mean, _): mean
        }
    }

    /// One draw (two uniforms for the log-normal, one otherwise, so that every law
    /// uses its stream the same way whatever else runs).
    func sample(_ random: inout SplitMix64) -> Double {
        switch self {
        case .fixed(let v):
            return v
        case .exponential(let mean):
            return -mean * log(1 - random.unit())
        case .logNormal(let mean, let sigma):
            // Box–Muller; 1 − u keeps the logarithm finite.
            let u1 = 1 - random.unit(), u2 = random.unit()
            let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            return exp(log(mean) - sigma * sigma / 2 + sigma * normal)
        }
    }

    var description: String {
        switch self {
        case .fixed(let v): "fixed \(format(v, 1)) s"
        case .exponential(let mean): "exponential, mean \(format(mean, 1)) s"
        case .logNormal(let mean, let sigma): "log-normal, mean \(format(mean, 1)) s, σ \(format(sigma, 2))"
        }
    }

    var json: String {
        switch self {
        case .fixed(let v): "{\"distribution\":\"fixed\",\"mean\":\(format(v, 3))}"
        case .exponential(let mean): "{\"distribution\":\"exponential\",\"mean\":\(format(mean, 3))}"
        case .logNormal(let mean, let sigma):
            "{\"distribution\":\"lognormal\",\"mean\":\(format(mean, 3)),\"sigma\":\(format(sigma, 3))}"
        }
    }
}

extension SplitMix64 {
    /// A uniform number in [0, 1) with 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}

/// A contact-center load scenario (`loadtest/scenarios/*.toml`, format in
/// loadtest/README.md): the center (queues, agents, chat capacity), the traffic
/// (Poisson arrivals, handle times, patience) in shift time, and how fast shift time
/// runs. A plain value, read once.
struct CenterScenario {
    var name = "contact-center"
    var seed: UInt64 = 1
    /// Arrivals per run.
    var contacts = 500
    /// Shift seconds per real second: 60 plays a shift minute in one real second.
    var timeScale = 60.0
    /// Independent lines (queues `line-1` … or `queue` when there is one), each with
    /// its own agents; arrivals pick one at random with equal odds.
    var queues = 1
    var queueKey = "orders"
    var agentsPerQueue = 8
    /// Chats an agent holds at once in the chat run (a call is always one).
    var chatCapacity = 3
    /// Arrivals per shift hour, all queues together.
    var arrivalsPerHour = 60.0
    var handleTime = DurationLaw.exponential(mean: 360)
    /// A chat's handle time is the call's times this (1: the same work takes as long).
    var chatHandleFactor = 1.0
    /// How long a customer waits before hanging up or leaving (nil: never).
    var patience: DurationLaw?
    /// Agents' and customers' time to answer a message in a chat.
    var thinkTime = DurationLaw.exponential(mean: 30)
    var serviceLevelSeconds = 20.0
    /// Contacts left out of the mean-wait interval at the start of each run (the line
    /// starts empty, which is not its steady state).
    var warmUp = 50
    var batches = 20

    var agents: Int { queues * agentsPerQueue }

    func queueKey(_ index: Int) -> String { queues == 1 ? queueKey : "line-\(index + 1)" }

    /// Offered load per queue, Erlangs (voice: one call per agent).
    var loadPerQueue: Double { arrivalsPerHour / 3_600 / Double(queues) * handleTime.mean }

    /// The phone line's prediction for one queue, or nil when it is unstable.
    var erlangC: ErlangC.Model? {
        ErlangC.Model(arrivalRate: arrivalsPerHour / 3_600 / Double(queues), meanHandleTime: handleTime.mean,
                      agents: agentsPerQueue)
    }

    /// Erlang A for one queue when patience is exponential (the model's assumption), else nil.
    var erlangA: ErlangA.Model? {
        guard case .exponential(let mean)? = patience else { return nil }
        return ErlangA.Model(arrivalRate: arrivalsPerHour / 3_600 / Double(queues), meanHandleTime: handleTime.mean,
                             meanPatience: mean, agents: agentsPerQueue)
    }

    /// One contact of the schedule, identical for the chat and the voice run.
    struct Arrival {
        /// Shift seconds from the start of the run.
        var at: Double
        var queue: Int
        /// Shift seconds with the agent (the call's; a chat's is times chatHandleFactor).
        var handle: Double
        /// Shift seconds before hanging up, or nil.
        var patience: Double?
    }

    /// The arrivals, from `seed` only: independent streams for gaps, queues, handle
    /// times and patience, so changing one law leaves the others' draws unchanged.
    func schedule() -> [Arrival] {
        var gaps = SplitMix64(seed: seed &* 4 &+ 1)
        var lines = SplitMix64(seed: seed &* 4 &+ 2)
        var handles = SplitMix64(seed: seed &* 4 &+ 3)
        var patiences = SplitMix64(seed: seed &* 4 &+ 4)
        let meanGap = 3_600 / arrivalsPerHour
        var clock = 0.0
        return (0..<contacts).map { _ in
            clock += -meanGap * log(1 - gaps.unit())
            return Arrival(at: clock, queue: queues == 1 ? 0 : lines.next(below: queues),
                           handle: handleTime.sample(&handles), patience: patience?.sample(&patiences))
        }
    }

    // MARK: Reading a scenario file

    static func load(path: String) throws -> CenterScenario {
        guard let file = fopen(path, "rb") else {
            throw ValidationError("cannot read scenario \(path): \(String(cString: strerror(errno)))")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > 1 << 20 { break }
        }
        fclose(file)
        guard bytes.count <= 1 << 20 else { throw ValidationError("scenario \(path): larger than 1 MiB") }
        return try parse(String(decoding: bytes, as: UTF8.self), name: path)
    }

    static func parse(_ text: String, name: String) throws -> CenterScenario {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ValidationError("scenario \(name): line \(error.source.begin.line): TOML syntax: \(error)")
        } catch {
            throw ValidationError("scenario \(name): TOML syntax: \(error)")
        }
        var s = CenterScenario()
        let root = ScenarioTable(table: table, path: "", file: name)
        try root.allowOnly(["name", "seed", "contacts", "time_scale", "service_level_seconds", "warm_up", "batches",
                            "center", "arrivals", "handle_time", "patience", "think_time"])
        s.name = try root.string("name") ?? s.name
        s.seed = UInt64(try root.int("seed", 0...Int.max) ?? Int(s.seed))
        s.contacts = try root.int("contacts", 1...1_000_000) ?? s.contacts
        s.timeScale = try root.double("time_scale", 0.001...1_000_000) ?? s.timeScale
        s.serviceLevelSeconds = try root.double("service_level_seconds", 0...86_400) ?? s.serviceLevelSeconds
        s.warmUp = try root.int("warm_up", 0...1_000_000) ?? s.warmUp
        s.batches = try root.int("batches", 2...1_000) ?? s.batches
        if let center = try root.table("center") {
            try center.allowOnly(["queues", "queue", "agents_per_queue", "chat_capacity"])
            s.queues = try center.int("queues", 1...100) ?? s.queues
            s.queueKey = try center.string("queue") ?? s.queueKey
            guard ConfigurationText.isIdentifier(s.queueKey) else { throw center.error("queue", "must be an identifier") }
            s.agentsPerQueue = try center.int("agents_per_queue", 1...1_000) ?? s.agentsPerQueue
            s.chatCapacity = try center.int("chat_capacity", 1...100) ?? s.chatCapacity
        }
        guard s.agents <= 1_000 else { throw root.error("center", "queues × agents_per_queue must be at most 1000") }
        guard let arrivals = try root.table("arrivals") else { throw root.error("arrivals", "is required ([arrivals] per_hour = …)") }
        try arrivals.allowOnly(["per_hour"])
        guard let rate = try arrivals.double("per_hour", 0.001...100_000_000) else { throw arrivals.error("per_hour", "is required") }
        s.arrivalsPerHour = rate
        guard let handle = try root.table("handle_time") else { throw root.error("handle_time", "is required") }
        s.handleTime = try handle.law(extra: ["chat_factor"])
        s.chatHandleFactor = try handle.double("chat_factor", 0.01...100) ?? 1
        if let patience = try root.table("patience") { s.patience = try patience.law(extra: []) }
        if let think = try root.table("think_time") { s.thinkTime = try think.law(extra: []) }
        guard s.contacts > s.warmUp + s.batches else {
            throw root.error("contacts", "must exceed warm_up + batches (\(s.warmUp) + \(s.batches))")
        }
        return s
    }

    /// The scenario as JSON (for the report).
    var json: String {
        "{\"name\":\(jsonString(name)),\"seed\":\(seed),\"contacts\":\(contacts),\"time_scale\":\(format(timeScale, 3)),"
            + "\"queues\":\(queues),\"queue\":\(jsonString(queueKey)),\"agents_per_queue\":\(agentsPerQueue),"
            + "\"chat_capacity\":\(chatCapacity),\"arrivals_per_hour\":\(format(arrivalsPerHour, 3)),"
            + "\"handle_time\":\(handleTime.json),\"chat_handle_factor\":\(format(chatHandleFactor, 3)),"
            + "\"patience\":\(patience?.json ?? "null"),\"think_time\":\(thinkTime.json),"
            + "\"service_level_seconds\":\(format(serviceLevelSeconds, 3)),\"warm_up\":\(warmUp),\"batches\":\(batches)}"
    }
}

/// One table of a scenario file: typed getters whose errors name the file and key.
private struct ScenarioTable {
    let table: TOMLTable
    let path: String
    let file: String

    func error(_ key: String, _ reason: String) -> ValidationError {
        ValidationError("scenario \(file): \(path.isEmpty ? key : "\(path).\(key)"): \(reason)")
    }

    func allowOnly(_ known: [String]) throws {
        if let unknown = table.keys.sorted().first(where: { !known.contains($0) }) {
            throw error(unknown, "unknown key (known here: \(known.joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let s = value.string else { throw error(key, "must be a string") }
        return s
    }

    func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let value = table[key] else { return nil }
        guard let n = value.int, range.contains(n) else {
            throw error(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    func double(_ key: String, _ range: ClosedRange<Double>) throws -> Double? {
        guard let value = table[key] else { return nil }
        guard let n = value.double ?? value.int.map(Double.init), range.contains(n) else {
            throw error(key, "must be a number from \(format(range.lowerBound, 3)) to \(format(range.upperBound, 0))")
        }
        return n
    }

    func table(_ key: String) throws -> ScenarioTable? {
        guard let value = table[key] else { return nil }
        guard let t = value.table else { throw error(key, "must be a table ([\(key)])") }
        return ScenarioTable(table: t, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// `distribution = "exponential" | "lognormal" | "fixed"`, `mean`, `sigma`.
    func law(extra: [String]) throws -> DurationLaw {
        try allowOnly(["distribution", "mean", "sigma"] + extra)
        guard let mean = try double("mean", 0...10_000_000) else { throw error("mean", "is required (shift seconds)") }
        switch try string("distribution") ?? "exponential" {
        case "exponential":
            guard table["sigma"] == nil else { throw error("sigma", "only for distribution = \"lognormal\"") }
            return .exponential(mean: mean)
        case "fixed":
            guard table["sigma"] == nil else { throw error("sigma", "only for distribution = \"lognormal\"") }
            return .fixed(mean)
        case "lognormal":
            guard let sigma = try double("sigma", 0.001...5) else { throw error("sigma", "is required for a log-normal law") }
            guard mean > 0 else { throw error("mean", "must be above 0 for a log-normal law") }
            return .logNormal(mean: mean, sigma: sigma)
        case let other:
            throw error("distribution", "must be \"exponential\", \"lognormal\" or \"fixed\", not \"\(other)\"")
        }
    }
}
