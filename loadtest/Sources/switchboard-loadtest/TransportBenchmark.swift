#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import EventLoop
import Histogram
import Posix
import WebSocket

/// `switchboard-loadtest transport`: echo throughput and round-trip latency.
struct TransportBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Measure echo throughput and round-trip times against a WebSocket echo server.",
        discussion: """
        Opens --connections WebSocket connections, keeps --inflight messages of --size bytes \
        in flight on each (a new one leaves as each echo returns), warms up, then measures for \
        --duration seconds. Prints a progress line every second and, at the end, messages/s, \
        round-trip p50/p99/p99.9, and the CPU used by this tool and (with --server-pid) by the \
        server, so you can see which side saturated.
        """
    )

    @Option(help: "Echo server URL (loopback only).")
    var url = WebSocketURL(argument: "ws://127.0.0.1:9001/")!

    @Option(help: "Concurrent connections.")
    var connections = 100

    @Option(help: "Payload bytes per message.")
    var size = 20

    @Option(help: "Messages in flight per connection.")
    var inflight = 1

    @Option(help: "Measured seconds.")
    var duration: Double = 10

    @Option(help: "Seconds of load before measuring.")
    var warmup: Double = 1

    @Flag(help: "Send binary messages instead of text.")
    var binary = false

    @Flag(help: "Offer permessage-deflate (RFC 7692) and compress what we send.")
    var deflate = false

    @Option(help: "PID of the server, to report its CPU use beside ours.")
    var serverPid: Int32?

    @Flag(help: "Print the result as one JSON object on the last line.")
    var json = false

    @Flag(help: "No progress lines.")
    var quiet = false

    func validate() throws {
        guard (1...20_000).contains(connections) else { throw ValidationError("--connections must be 1…20000") }
        guard (0...(64 << 20)).contains(size) else { throw ValidationError("--size must be 0…64 MiB") }
        guard (1...1024).contains(inflight) else { throw ValidationError("--inflight must be 1…1024") }
        guard duration > 0, duration <= 3600, warmup >= 0, warmup <= 600 else { throw ValidationError("--duration must be in (0, 3600] s, --warmup in [0, 600] s") }
    }

    func run() throws {
        let loop = try EventLoop(id: 0, readBufferSize: 1 << 20)
        let scenario = try EchoScenario(options: self, loop: loop)
        try scenario.start()
        loop.addTicker(scenario)
        loop.run()
        let result = scenario.result()
        print(result.text)
        if json { print(result.json) }
        if result.errors > 0 && result.messages == 0 { throw ExitCode(1) }
    }
}

/// Drives the echo load: keeps messages in flight, records round trips, and stops the
/// loop when the run is over. Runs on the load generator's single loop thread.
final class EchoScenario: ClientDelegate, Selectable {
    let fd: Int32 = -1
    private let options: TransportBenchmark
    private let clientOptions: ClientOptions
    private let loop: EventLoop
    private var clients: [ClientConnection] = []
    private var payload: [UInt8]
    private let opcode: Opcode
    private var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    private var open = 0
    private(set) var errors = 0
    private var firstError: String?
    private var measuring = false
    private var measured: UInt64 = 0
    private var sinceProgress: UInt64 = 0
    private let startedAt = monotonicNanoseconds()
    private var allOpenAt: UInt64 = 0
    private var measureStart: UInt64 = 0
    private var measureEnd: UInt64 = 0
    private var lastProgress: UInt64 = 0
    private var cpuAtStart: (mine: Double, server: Double?) = (0, nil)
    private var cpuAtEnd: (mine: Double, server: Double?) = (0, nil)

    init(options: TransportBenchmark, loop: EventLoop) throws {
        self.options = options
        self.clientOptions = try ClientOptions(url: options.url, deflate: options.deflate)
        self.loop = loop
        // Chat-like text: compressible, but not a single repeated byte.
        let sample = Array("안녕하세요, 주문번호 20261125-0042 배송 문의드립니다. Hello, where is my order? ".utf8)
        payload = (0..<options.size).map { sample[$0 % sample.count] }
        opcode = options.binary ? .binary : .text
    }

    func start() throws {
        for index in 0..<options.connections {
            let client = try ClientConnection(url: options.url, options: clientOptions, loop: loop, delegate: self)
            client.tag = index
            client.inFlight = [UInt64](repeating: 0, count: options.inflight)
            clients.append(client)
        }
    }

    func clientOpened(_ client: ClientConnection, now: UInt64) {
        open += 1
        for _ in 0..<options.inflight { sendOne(client, now: now) }
        if open == options.connections {
            allOpenAt = now
            if !options.quiet { log("all \(open) connections open after \(format(Double(now - startedAt) / 1e9, 2)) s; warming up \(options.warmup) s") }
        }
    }

    @inline(__always)
    private func sendOne(_ client: ClientConnection, now: UInt64) {
        // The ring holds exactly `inflight` slots: the slot at the head was freed by the
        // echo just received, so the new send time goes there.
        client.inFlight[client.inFlightHead] = now
        client.inFlightHead = (client.inFlightHead + 1) % options.inflight
        payload.withUnsafeBytes { client.send(opcode, $0) }
    }

    @inline(__always)
    func client(_ client: ClientConnection, received opcode: Opcode, payload: UnsafeRawBufferPointer, now: UInt64) {
        let sentAt = client.inFlight[client.inFlightHead]
        if measuring {
            _ = histogram.record(now &- sentAt)
            measured &+= 1
        }
        sinceProgress &+= 1
        if !stopping { sendOne(client, now: now) }
    }

    func clientClosed(_ client: ClientConnection, error: String?) {
        errors += 1
        if firstError == nil { firstError = error }
        open -= 1
        if !options.quiet { log("connection \(client.tag) lost: \(error ?? "closed")") }
    }

    private var stopping = false

    func handleEvent(_ flags: EpollFlags) {}

    func tick(now: UInt64) {
        if allOpenAt == 0 {
            if now &- startedAt > 30_000_000_000 {
                log("only \(open) of \(options.connections) connections opened in 30 s; giving up")
                finish(now: now)
            }
            return
        }
        if !measuring && measureEnd == 0 && now &- allOpenAt >= UInt64(options.warmup * 1e9) {
            measuring = true
            measureStart = now
            cpuAtStart = (ProcessStats.cpuSeconds(pid: 0) ?? 0, options.serverPid.flatMap { ProcessStats.cpuSeconds(pid: $0) })
            lastProgress = now
            sinceProgress = 0
        }
        if measuring {
            if now &- lastProgress >= 1_000_000_000 {
                if !options.quiet {
                    let rate = Double(sinceProgress) / (Double(now &- lastProgress) / 1e9)
                    log("\(format(Double(now &- measureStart) / 1e9, 0))/\(format(options.duration, 0)) s  \(Int(rate)) msg/s  open \(open)  errors \(errors)")
                }
                lastProgress = now
                sinceProgress = 0
            }
            if now &- measureStart >= UInt64(options.duration * 1e9) { finish(now: now) }
        }
        if open == 0 && allOpenAt != 0 && !stopping { finish(now: now) }
    }

    private func finish(now: UInt64) {
        guard !stopping else { return }
        stopping = true
        measuring = false
        measureEnd = now
        cpuAtEnd = (ProcessStats.cpuSeconds(pid: 0) ?? 0, options.serverPid.flatMap { ProcessStats.cpuSeconds(pid: $0) })
        for client in clients { client.close() }
        loop.stop()
    }

    struct Result {
        var text: String
        var json: String
        var messages: UInt64
        var errors: Int
    }

    func result() -> Result {
        let seconds = max(1e-9, Double(measureEnd &- measureStart) / 1e9)
        let rate = Double(measured) / seconds
        func micros(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        let myCPU = (cpuAtEnd.mine - cpuAtStart.mine) / seconds * 100
        var serverCPU: Double?
        if let end = cpuAtEnd.server, let start = cpuAtStart.server { serverCPU = (end - start) / seconds * 100 }
        var text = "transport: \(options.connections) connections, \(options.size)-byte \(options.binary ? "binary" : "text")\(options.deflate ? " (deflate)" : ""), \(options.inflight) in flight, \(format(seconds, 1)) s measured, \(options.url)\n"
        text += "  messages/s \(Int(rate))   rtt p50 \(format(micros(50), 0)) us  p99 \(format(micros(99), 0)) us  p99.9 \(format(micros(99.9), 0)) us\n"
        text += "  cpu: loadtest \(format(myCPU, 0))% of a core"
        if let serverCPU { text += ", server \(format(serverCPU, 0))% of a core" }
        if errors > 0 { text += "\n  errors: \(errors) (first: \(firstError ?? "?"))" }
        let json = "{\"connections\":\(options.connections),\"size\":\(options.size),\"inflight\":\(options.inflight),\"seconds\":\(format(seconds, 3)),"
            + "\"messages\":\(measured),\"messages_per_sec\":\(format(rate, 1)),\"rtt_p50_us\":\(format(micros(50), 1)),\"rtt_p99_us\":\(format(micros(99), 1)),"
            + "\"rtt_p999_us\":\(format(micros(99.9), 1)),\"client_cpu_pct\":\(format(myCPU, 1)),\"server_cpu_pct\":\(serverCPU.map { format($0, 1) } ?? "null"),\"errors\":\(errors)}"
        return Result(text: text, json: json, messages: measured, errors: errors)
    }
}

/// A progress line on standard error, so standard output stays the result.
func log(_ line: String) {
    var text = "[loadtest] " + line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// A number with a fixed count of decimals, without Foundation.
func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if decimals == 0 { return String(Int(rounded)) }
    let whole = Int(rounded)
    var fraction = Int(((abs(rounded) - Double(abs(whole))) * scale).rounded())
    var digits = ""
    for _ in 0..<decimals { digits = String(fraction % 10) + digits; fraction /= 10 }
    return (rounded < 0 && whole == 0 ? "-" : "") + "\(whole).\(digits)"
}
