import ArgumentParser
import EventLoop
import Posix
import WebSocket

/// `switchboard-loadtest idle`: resident memory per idle WebSocket connection.
struct IdleMemory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Open many idle WebSocket connections and report the server's memory per connection.",
        discussion: "Reads the server's VmRSS before and after opening --connections connections (handshake done, nothing sent), and prints (after - before) / connections. Needs --server-pid and a file-descriptor limit above --connections (ulimit -n)."
    )

    @Option(help: "Server URL (loopback only).")
    var url = WebSocketURL(argument: "ws://127.0.0.1:9001/")!

    @Option(help: "Idle connections to open.")
    var connections = 10_000

    @Option(help: "PID of the server whose memory to read.")
    var serverPid: Int32

    @Option(help: "Connections being opened at once.")
    var batch = 200

    @Option(help: "Seconds to let the server settle before reading its memory.")
    var settle: Double = 1

    @Flag(help: "Offer permessage-deflate.")
    var deflate = false

    @Flag(help: "Exchange one 200-byte message on each connection before measuring, so per-connection compression state exists.")
    var exchangeOne = false

    @Flag(help: "Print the result as one JSON object on the last line.")
    var json = false

    @Flag(help: "No progress lines.")
    var quiet = false

    func validate() throws {
        guard (1...19_000).contains(connections) else { throw ValidationError("--connections must be 1…19000 (the fd limit here is 20000)") }
        guard ProcessStats.residentBytes(pid: serverPid) != nil else { throw ValidationError("no process \(serverPid) to measure") }
    }

    func run() throws {
        let loop = try EventLoop(id: 0)
        let before = ProcessStats.residentBytes(pid: serverPid) ?? 0
        let opener = try IdleOpener(options: self, loop: loop)
        try opener.openMore()
        loop.addTicker(opener)
        loop.run()
        guard opener.open == connections else {
            log("only \(opener.open) of \(connections) connections opened (\(opener.failures) failed: \(opener.firstError ?? "?"))")
            throw ExitCode(1)
        }
        let after = opener.rssAfter
        let perConnection = Double(after - before) / Double(connections)
        print("idle: \(connections) connections, server RSS \(before / 1024) KiB -> \(after / 1024) KiB: \(format(perConnection, 0)) bytes (\(format(perConnection / 1024, 2)) KiB) per connection")
        if json {
            print("{\"connections\":\(connections),\"rss_before_bytes\":\(before),\"rss_after_bytes\":\(after),\"bytes_per_connection\":\(format(perConnection, 1))}")
        }
    }
}

/// Opens connections in batches, waits for the server to settle, reads its memory,
/// then closes everything and stops the loop. Loop thread only.
final class IdleOpener: ClientDelegate, Selectable {
    let fd: Int32 = -1
    private let options: IdleMemory
    private let clientOptions: ClientOptions
    private let loop: EventLoop
    private var ready = 0
    /// About 200 bytes of chat text, cut on a character boundary.
    private let message = Array(String(String(repeating: "배송 문의 delivery question ", count: 8).prefix(120)).utf8)
    private var clients: [ClientConnection] = []
    private var connecting = 0
    private(set) var open = 0
    private(set) var failures = 0
    private(set) var firstError: String?
    private(set) var rssAfter = 0
    private var allOpenAt: UInt64 = 0
    private let startedAt = monotonicNanoseconds()
    private var lastProgress: UInt64 = 0

    init(options: IdleMemory, loop: EventLoop) throws {
        self.options = options
        self.clientOptions = try ClientOptions(url: options.url, deflate: options.deflate)
        self.loop = loop
    }

    func openMore() throws {
        while connecting < options.batch && clients.count < options.connections {
            clients.append(try ClientConnection(url: options.url, options: clientOptions, loop: loop, delegate: self))
            connecting += 1
        }
    }

    func clientOpened(_ client: ClientConnection, now: UInt64) {
        connecting -= 1
        open += 1
        do { try openMore() } catch { fail("\(error)") }
        if options.exchangeOne {
            message.withUnsafeBytes { client.send(.text, $0) }
            client.flush()
        } else {
            markReady(now: now)
        }
    }

    private func markReady(now: UInt64) {
        ready += 1
        if ready == options.connections { allOpenAt = now }
    }

    func client(_ client: ClientConnection, received opcode: Opcode, payload: UnsafeRawBufferPointer, now: UInt64) {
        markReady(now: now)
    }

    func clientClosed(_ client: ClientConnection, error: String?) {
        connecting -= 1
        fail(error ?? "closed")
    }

    private func fail(_ error: String) {
        failures += 1
        if firstError == nil { firstError = error }
        loop.stop()
    }

    func handleEvent(_ flags: EpollFlags) {}

    func tick(now: UInt64) {
        if !options.quiet && now &- lastProgress > 1_000_000_000 {
            lastProgress = now
            log("\(open)/\(options.connections) connections open, \(ready) ready")
        }
        if allOpenAt == 0 {
            if now &- startedAt > 120_000_000_000 { fail("timed out opening connections") }
            return
        }
        if now &- allOpenAt >= UInt64(options.settle * 1e9) {
            rssAfter = ProcessStats.residentBytes(pid: options.serverPid) ?? 0
            for client in clients { client.close() }
            loop.stop()
        }
    }
}
