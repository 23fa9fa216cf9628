#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ChatProtocol
import EventLoop
import Posix
import Synchronization

/// `switchboard-loadtest relay`: chat relay throughput and customer-to-agent latency
/// through a running broker (`switchboard serve`), speaking `switchboard.v1`.
struct RelayBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Measure chat relay throughput and customer-to-agent latency through a running broker.",
        discussion: """
        Signs in --agents agents (<prefix>0 … <prefix>N-1, all with --agent-secret) on /v1/ws/agent and sets \
        them available, then opens --conversations customers on /v1/ws/customer (hello, start_chat on --queue \
        with a Korean first message) and waits until every customer has an agent. Then customers send chat \
        messages at --rate messages per second in total (paced per conversation, round robin), and each agent \
        answers every --reply-every'th message, so traffic flows both ways. After --warmup seconds it measures \
        for --duration seconds: relayed messages per second (message events delivered to the other side), \
        customer-to-agent latency (send to the agent's receipt of the event) p50/p99/p99.9, and CPU of this \
        tool and (with --server-pid) the broker. Errors: any `error` message, an unexpected close, a missing, \
        duplicate or out-of-order seq in a conversation, a send never acknowledged. At the end customers end \
        their conversations and everyone closes.

        `relay --write-config FILE --agents A --capacity K` instead writes a broker configuration with those \
        agents (chat capacity K, serving --queue), the secret hashed once by `switchboard hash-secret`, and \
        limits raised for load (max_messages_per_second 1000), then exits.
        """
    )

    @Option(help: "Broker URL, ws:// or wss:// (loopback only); the paths /v1/ws/agent and /v1/ws/customer are used.")
    var url = WebSocketURL(argument: "ws://127.0.0.1:8080/")!

    @Option(name: .customLong("customer-url"),
            help: "A cluster node for customers (repeat for several: customer i goes to the i'th modulo their count; default --url).")
    var customerURLs: [WebSocketURL] = []

    @Option(name: .customLong("agent-url"),
            help: "A cluster node for agents (repeat for several: agent i goes to the i'th modulo their count; default --url).")
    var agentURLs: [WebSocketURL] = []

    @Option(help: "Concurrent conversations (one customer connection each).")
    var conversations = 1_000

    @Option(help: "Agents to sign in (each holds about conversations/agents chats).")
    var agents = 100

    @Option(help: "Agent logins are this prefix followed by 0, 1, …")
    var agentLoginPrefix = "agent-"

    @Option(help: "The secret every load-test agent signs in with.")
    var agentSecret = "switchboard-loadtest"

    @Option(help: "Queue key the customers start their chats on.")
    var queue = "orders"

    @Option(help: "Customer messages per second, all conversations together (each sends rate/conversations per second).")
    var rate: Double = 20_000

    @Option(help: "Agents answer every n'th customer message (0: never).")
    var replyEvery = 10

    @Option(help: "Measured seconds.")
    var duration: Double = 10

    @Option(help: "Seconds of load before measuring.")
    var warmup: Double = 2

    @Option(help: "Seconds allowed for signing in and pairing every customer with an agent.")
    var setupTimeout: Double = 120

    @Option(help: "Customers being set up at once (connected but not yet in a conversation).")
    var openBatch = 500

    @Flag(help: "Offer permessage-deflate (RFC 7692) and compress what we send.")
    var deflate = false

    @Option(help: "PID of the broker, to report its CPU use beside ours.")
    var serverPid: Int32?

    @Flag(help: "Print the result as one JSON object on the last line.")
    var json = false

    @Flag(help: "No progress lines.")
    var quiet = false

    @Option(help: "Write a broker configuration (TOML) for this load test to FILE and exit.")
    var writeConfig: String?

    @Option(help: "With --write-config: each agent's chat capacity (default: enough for --conversations).")
    var capacity: Int?

    @Option(help: "With --write-config: the switchboard binary that hashes the secret (default: the one beside this tool).")
    var switchboard: String?

    @Option(help: "With --write-config: PBKDF2 iterations of the hash (low, so that many agents sign in quickly).")
    var hashIterations = 1_000

    func validate() throws {
        guard (1...1_000).contains(agents) else { throw ValidationError("--agents must be 1…1000") }
        guard ConfigurationText.isIdentifier(agentLoginPrefix + String(agents - 1)) else {
            throw ValidationError("--agent-login-prefix must make identifiers (A-Z a-z 0-9 . _ : @ + -, at most 64 characters)")
        }
        guard ConfigurationText.isIdentifier(queue) else { throw ValidationError("--queue must be an identifier") }
        guard !agentSecret.isEmpty, agentSecret.unicodeScalars.count <= 1024,
              !agentSecret.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ValidationError("--agent-secret must be one line of 1 to 1024 characters")
        }
        if writeConfig != nil {
            if let capacity, !(1...1_000).contains(capacity) { throw ValidationError("--capacity must be 1…1000") }
            return
        }
        guard (1...19_000).contains(conversations) else { throw ValidationError("--conversations must be 1…19000") }
        guard conversations + agents <= 19_500 else {
            throw ValidationError("--conversations + --agents must stay under the file-descriptor limit (20000 here)")
        }
        guard rate > 0, rate <= 1_000_000 else { throw ValidationError("--rate must be in (0, 1000000]") }
        guard replyEvery >= 0 else { throw ValidationError("--reply-every must be 0 or more") }
        guard duration > 0, duration <= 3600, warmup >= 0, warmup <= 600 else {
            throw ValidationError("--duration must be in (0, 3600] s, --warmup in [0, 600] s")
        }
        guard setupTimeout > 0, setupTimeout <= 3600 else { throw ValidationError("--setup-timeout must be in (0, 3600] s") }
        guard (1...10_000).contains(openBatch) else { throw ValidationError("--open-batch must be 1…10000") }
    }

    func run() throws {
        if let writeConfig {
            try writeConfiguration(to: writeConfig)
            return
        }
        try raiseFileLimit(to: conversations + agents + 64)
        let loop = try EventLoop(id: 0, readBufferSize: 1 << 20)
        let scenario = try RelayScenario(options: self, loop: loop)
        try scenario.start()
        loop.addTicker(scenario)
        try runPaced(loop, scenario) { $0.pace() }
        let result = scenario.result()
        print(result.text)
        if json { print(result.json) }
        if result.errors > 0 && result.relayed == 0 { throw ExitCode(1) }
    }

    // MARK: --write-config

    private func writeConfiguration(to path: String) throws {
        let perAgent = capacity ?? max(1, (conversations + agents - 1) / agents)
        let binary = switchboard ?? siblingExecutable("switchboard")
        let hash = try hashSecret(agentSecret, binary: binary, iterations: hashIterations)
        var text = """
        # Broker configuration for `switchboard-loadtest relay` (written by `relay --write-config`):
        # \(agents) agents (\(agentLoginPrefix)0 … \(agentLoginPrefix)\(agents - 1)), chat capacity \(perAgent) each, \
        all serving "\(queue)" and sharing one secret (hashed with \(hashIterations) PBKDF2 iterations so that \
        they sign in quickly). Limits are raised for load: a load-test customer sends far faster than a person.

        [[queues]]
        key = "\(queue)"
        name = "주문/배송"
        english_name = "Orders and delivery"
        max_waiting = 100000

        [business_hours]
        always_open = true

        [limits]
        max_messages_per_second = 1000
        message_burst = 2000
        transcripts_kept = \(max(10_000, 2 * agents * perAgent))
        max_sessions = \(max(100_000, 2 * agents * perAgent))

        """
        for index in 0..<agents {
            text += """

            [[agents]]
            handle = "\(agentLoginPrefix)\(index)"
            name = "상담원 \(index + 1)"
            skills = ["\(queue)"]
            chat_capacity = \(perAgent)
            secret = "\(hash)"

            """
        }
        guard let file = fopen(path, "wb") else {
            throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let written = fwrite(bytes, 1, bytes.count, file)
        fclose(file)
        guard written == bytes.count else { throw ValidationError("cannot write \(path)") }
        if !quiet { log("wrote \(path): \(agents) agents × \(perAgent) chats on \"\(queue)\"") }
    }
}

/// Raises this process's soft limit on open files to `needed` (up to the hard limit),
/// or says why the run cannot hold that many connections.
func raiseFileLimit(to needed: Int) throws {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    if limit.rlim_cur >= rlim_t(needed) { return }
    guard limit.rlim_max >= rlim_t(needed) else {
        throw ValidationError("this run needs \(needed) file descriptors; the hard limit is \(limit.rlim_max) (ulimit -Hn)")
    }
    limit.rlim_cur = rlim_t(needed)
    guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
        throw ValidationError("cannot raise the open-file limit to \(needed): \(String(cString: strerror(errno)))")
    }
}

/// Runs `loop` until it stops, with a pacer thread asking it to call `pace` every
/// 0.5 ms: the loop ticks every 250 ms, sends are paced finer by waking it.
func runPaced<Scenario: AnyObject>(_ loop: EventLoop, _ scenario: Scenario,
                                   pace: @escaping @Sendable (Scenario) -> Void) throws {
    let pacer = Pacer()
    let bound = LoopBound(scenario)
    let thread = try PosixThread(name: "pacer") {
        while !pacer.stopped.load(ordering: .relaxed) {
            usleep(500)
            loop.execute { pace(bound.value) }
        }
    }
    loop.run()
    pacer.stopped.store(true, ordering: .relaxed)
    thread.join()
}

/// Tells the pacer thread to stop.
private final class Pacer: Sendable {
    let stopped = Atomic<Bool>(false)
}

/// Text rules the configuration file shares with the protocol.
enum ConfigurationText {
    /// 1–64 of `A–Z a–z 0–9 . _ : @ + -`.
    static func isIdentifier(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return (1...64).contains(bytes.count) && bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2E || b == 0x5F || b == 0x3A || b == 0x40 || b == 0x2B || b == 0x2D
        }
    }
}

/// `name` in the directory this executable was started from (argv[0]), or just `name`
/// (found on PATH) when argv[0] has no directory.
func siblingExecutable(_ name: String) -> String {
    let me = CommandLine.arguments.first ?? ""
    guard let slash = me.lastIndex(of: "/") else { return name }
    return String(me[...slash]) + name
}

/// Runs `binary hash-secret --iterations N` with `secret` on its standard input and
/// returns the hash it prints.
func hashSecret(_ secret: String, binary: String, iterations: Int) throws -> String {
    var input: [Int32] = [0, 0]
    var output: [Int32] = [0, 0]
    guard pipe(&input) == 0, pipe(&output) == 0 else { throw ValidationError("pipe: \(String(cString: strerror(errno)))") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    for fd in input + output { posix_spawn_file_actions_addclose(&actions, fd) }
    let arguments = [binary, "hash-secret", "--iterations", String(iterations)]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, binary, &actions, nil, &argv, environ)
    Glibc.close(input[0])
    Glibc.close(output[1])
    guard rc == 0 else {
        Glibc.close(input[1])
        Glibc.close(output[0])
        throw ValidationError("cannot run \(binary): \(String(cString: strerror(rc))) (give --switchboard PATH)")
    }
    let line = Array((secret + "\n").utf8)
    _ = line.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
    Glibc.close(input[1])
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1024)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(output[0], $0.baseAddress, $0.count) }
        if n > 0 { bytes += chunk[0..<n] } else if n == 0 || errno != EINTR { break }
    }
    Glibc.close(output[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let hash = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    guard status == 0, hash.hasPrefix("pbkdf2-sha256$") else {
        throw ValidationError("\(binary) hash-secret failed (status \(status))")
    }
    return hash
}
