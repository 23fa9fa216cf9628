#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import EventLoop
import Posix

/// `switchboard-loadtest contact-center`: plays a scenario of Poisson arrivals with
/// handle times, think times and patience against a running broker, once as chat and
/// once as voice on the same seed, and reports the waits next to Erlang C.
struct ContactCenterBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact-center",
        abstract: "Chat versus phone on the same traffic: waits measured through a running broker, next to Erlang C.",
        discussion: """
        Reads a scenario (TOML; format in loadtest/README.md, examples in loadtest/scenarios/), signs in its \
        agents (<prefix>0 … on /v1/ws/agent, all with --agent-secret) and plays its arrivals: each contact is \
        a customer on /v1/ws/customer sending start_chat (with "channel":"voice" in the voice run) at its \
        Poisson arrival time; the agent who gets it ends it after its handle time (chats exchange messages \
        after think times meanwhile); a customer not answered within their patience leaves the line. The \
        chat run and the voice run replay the very same arrival times, queues, handle times and patience \
        (from the seed), with the same agents: up to chat_capacity chats each, or one call. \
        Shift time runs --time-scale times faster than real time; every figure is in shift seconds.

        Results: a text summary, --json-out (JSON), --html-out (a self-contained HTML report with SVG \
        charts), --json (the JSON as the last line of standard output). Wait = start_chat sent to the \
        customer's agent_joined. Next to it: Erlang C for the scenario, Erlang C from the measured arrival \
        rate and handle time, and the run's own arrivals replayed through an exact one-call-per-agent line. \
        After each run the broker's /v1/stats is read and kept in the JSON for cross-checking.

        `contact-center --write-config FILE --scenario S` instead writes a broker configuration with the \
        scenario's queues and agents (chat capacity from the scenario, one call), then exits.
        """
    )

    @Option(help: "Scenario file (TOML).")
    var scenario: String

    @Option(help: "Broker URL, ws:// (loopback only); /v1/ws/agent, /v1/ws/customer and /v1/stats are used.")
    var url = WebSocketURL(argument: "ws://127.0.0.1:8080/")!

    @Option(help: "Runs to play, in order: chat, voice or chat,voice.")
    var runs = "chat,voice"

    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Override the scenario's number of contacts per run.")
    var contacts: Int?

    @Option(help: "Override the scenario's time scale (shift seconds per real second).")
    var timeScale: Double?

    @Option(help: "Agent logins are this prefix followed by 0, 1, …")
    var agentLoginPrefix = "agent-"

    @Option(help: "The secret every load-test agent signs in with.")
    var agentSecret = "switchboard-loadtest"

    @Option(help: "Write the results as JSON to FILE.")
    var jsonOut: String?

    @Option(help: "Write the HTML report to FILE.")
    var htmlOut: String?

    @Flag(help: "Print the result as one JSON object on the last line.")
    var json = false

    @Flag(help: "No progress lines.")
    var quiet = false

    @Option(help: "Seconds allowed for the agents to sign in.")
    var setupTimeout: Double = 60

    @Option(help: "Most real seconds one run may take.")
    var runTimeout: Double = 3_600

    @Option(help: "Write a broker configuration (TOML) for the scenario to FILE and exit.")
    var writeConfig: String?

    @Option(help: "With --write-config: the switchboard binary that hashes the secret (default: the one beside this tool).")
    var switchboard: String?

    @Option(help: "With --write-config: PBKDF2 iterations of the hash (low, so that many agents sign in quickly).")
    var hashIterations = 1_000

    func validate() throws {
        guard ConfigurationText.isIdentifier(agentLoginPrefix + "999") else {
            throw ValidationError("--agent-login-prefix must make identifiers")
        }
        guard !agentSecret.isEmpty, !agentSecret.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ValidationError("--agent-secret must be one line of text")
        }
        guard !channels.isEmpty, channels.allSatisfy({ $0 == "chat" || $0 == "voice" }), Set(channels).count == channels.count else {
            throw ValidationError("--runs must be chat, voice, chat,voice or voice,chat")
        }
        if let contacts, !(1...1_000_000).contains(contacts) { throw ValidationError("--contacts must be 1…1000000") }
        if let timeScale, !(timeScale > 0 && timeScale <= 1_000_000) { throw ValidationError("--time-scale must be in (0, 1000000]") }
        guard setupTimeout > 0, runTimeout > 0 else { throw ValidationError("timeouts must be positive") }
    }

    var channels: [String] { runs.split(separator: ",").map { String($0).trimmingSpaces } }

    /// The scenario with the command line's overrides.
    func loadScenario() throws -> CenterScenario {
        var s = try CenterScenario.load(path: scenario)
        if let seed { s.seed = seed }
        if let contacts {
            s.contacts = contacts
            s.warmUp = min(s.warmUp, contacts / 10)
            s.batches = min(s.batches, max(2, (contacts - s.warmUp) / 10))
        }
        if let timeScale { s.timeScale = timeScale }
        return s
    }

    func run() throws {
        let scenario = try loadScenario()
        if let writeConfig {
            try writeConfiguration(scenario, to: writeConfig)
            return
        }
        try raiseFileLimit(to: scenario.agents + 4_096)
        let loop = try EventLoop(id: 0, readBufferSize: 1 << 20)
        let center = try CenterRun(scenario: scenario, options: self, channels: channels, loop: loop)
        try center.start()
        loop.addTicker(center)
        try runPaced(loop, center) { $0.pace() }

        let results = center.runs.filter { $0.end != 0 }.map { RunResult(run: $0, scenario: scenario) }
        let report = CenterReport(scenario: scenario, results: results, aborted: center.aborted,
                                  sessionErrors: center.sessionErrors, firstSessionError: center.firstSessionError,
                                  command: CommandLine.arguments.joined(separator: " "))
        print(report.text)
        let jsonText = report.json
        if let jsonOut { try writeFile(jsonOut, jsonText + "\n") }
        if let htmlOut { try writeFile(htmlOut, report.html) }
        if json { print(jsonText) }
        if center.aborted != nil || results.count < channels.count { throw ExitCode(1) }
    }

    // MARK: --write-config

    private func writeConfiguration(_ s: CenterScenario, to path: String) throws {
        let binary = switchboard ?? siblingExecutable("switchboard")
        let hash = try hashSecret(agentSecret, binary: binary, iterations: hashIterations)
        var text = """
        # Broker configuration for `switchboard-loadtest contact-center` (written by --write-config from
        # the scenario "\(s.name)"): \(s.queues) queue(s), \(s.agentsPerQueue) agents each (\(agentLoginPrefix)0 …
        # \(agentLoginPrefix)\(s.agents - 1)), \(s.chatCapacity) chats or one call at a time, one shared secret
        # (hashed with \(hashIterations) PBKDF2 iterations so that they sign in quickly). Limits are raised for load.

        [business_hours]
        always_open = true

        [limits]
        max_messages_per_second = 1000
        message_burst = 2000
        max_sessions = 100000

        """
        for q in 0..<s.queues {
            text += """

            [[queues]]
            key = "\(s.queueKey(q))"
            name = "\(s.queues == 1 ? "주문/배송" : "상담 \(q + 1)")"
            max_waiting = 1000000

            """
        }
        for index in 0..<s.agents {
            text += """

            [[agents]]
            handle = "\(agentLoginPrefix)\(index)"
            name = "상담원 \(index + 1)"
            skills = ["\(s.queueKey(index / s.agentsPerQueue))"]
            chat_capacity = \(s.chatCapacity)
            voice_capacity = 1
            secret = "\(hash)"

            """
        }
        try writeFile(path, text)
        if !quiet { log("wrote \(path): \(s.queues) queue(s) × \(s.agentsPerQueue) agents, \(s.chatCapacity) chats or 1 call each") }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Writes `text` to `path` (replacing it), or throws with the reason.
func writeFile(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "wb") else {
        throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    let bytes = Array(text.utf8)
    let written = fwrite(bytes, 1, bytes.count, file)
    let closed = fclose(file)
    guard written == bytes.count, closed == 0 else { throw ValidationError("cannot write \(path)") }
}
