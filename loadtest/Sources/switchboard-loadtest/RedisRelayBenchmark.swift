#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import EventLoop
import Histogram
import Posix
import Redis
import RedisClient
import Synchronization
import ChatServer

/// `switchboard-loadtest redis-relay`: one node's chat messages reaching another node
/// through Redis with the cluster's own `ConversationRelay` — per message an `XADD` of
/// the next seq to the conversation's stream (durability, order, resume; its reply is
/// the ack), then a share of the `PUBLISH` that carries a loop iteration's events on the
/// relay's channel (`RelayBatch`) — received by a second
/// relay, on another event loop, that follows every conversation. Prints the delivery
/// and ack latencies, Redis commands per message (`INFO commandstats`) and CPU per
/// message for Redis and for this process (both "nodes").
struct RedisRelayBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-relay",
        abstract: "Node-to-node relay through a real Redis (the cluster's ConversationRelay): latency and cost.",
        discussion: """
        Needs a Redis to talk to, e.g. `redis-server --port 6399 --save '' --appendonly no &`. It writes keys \
        under --prefix (streams of at most --stream-length entries each) and unlinks them at the end.
        """
    )

    @Option(help: "The Redis to use (redis://HOST:PORT[/DB]).")
    var redis: String

    @Option(help: "Messages per second offered.")
    var rate = 10_000

    @Option(help: "Conversations (one stream each) the messages are spread over.")
    var conversations = 10_000

    @Option(help: "Seconds of load.")
    var seconds = 5.0

    @Option(help: "Payload bytes per message (at least 8: the send time).")
    var size = 160

    @Option(help: "Entries each conversation stream keeps (XADD MAXLEN ~).")
    var streamLength = 1_000

    @Option(help: "Key and channel prefix.")
    var prefix = "bench"

    @Flag(help: "Print the result as one JSON object on the last line.")
    var json = false

    func validate() throws {
        guard (1...1_000_000).contains(rate), (1...1_000_000).contains(conversations), seconds > 0, seconds <= 600,
              (8...65_536).contains(size) else {
            throw ValidationError("--rate 1…1,000,000, --conversations 1…1,000,000, --seconds up to 600, --size 8…65536")
        }
        do { _ = try RedisAddress(url: redis) } catch { throw ValidationError("--redis: \(error)") }
    }

    func run() throws {
        let address = try RedisAddress(url: redis)
        let sender = try NodeLoop(name: "sender")
        let receiver = try NodeLoop(name: "receiver")
        defer { sender.stop(); receiver.stop() }
        let state = RelayState(conversations: conversations, size: size, prefix: prefix, streamLength: streamLength)

        sender.sync { loop in
            state.link = RedisConnection(loop: loop, address: address)
            state.senderSubscription = RedisSubscription(loop: loop, address: address)
            state.sender = ConversationRelay(link: state.link, subscription: state.senderSubscription, keyPrefix: prefix)
            state.link.start()
            state.senderSubscription.start()
        }
        receiver.sync { loop in
            state.receiverLink = RedisConnection(loop: loop, address: address)
            state.subscription = RedisSubscription(loop: loop, address: address)
            state.receiver = ConversationRelay(link: state.receiverLink, subscription: state.subscription, keyPrefix: prefix)
            state.receiver.eventReceived = { _, event in state.received(event.bytes) }
            state.receiver.availabilityChanged = { up in if !up { print("redis-relay: the receiving node's subscriber link dropped: \(state.subscription.link.state)") } }
            state.receiverLink.start()
            state.subscription.start()
            for index in 0..<conversations { state.receiver.follow(state.conversation(index)) }
        }
        // A node follows a conversation once a party of it is there, not per message.
        sender.sync { _ in for index in 0..<conversations { state.sender.follow(state.conversation(index)) } }
        guard NodeLoop.wait(seconds: 10, until: { sender.sync { _ in state.link.state == .up } }) else {
            throw ValidationError("cannot reach Redis at \(address)")
        }
        print("redis-relay: \(conversations) conversations subscribed on the receiving node; waiting for the subscriptions")
        // Both nodes listen on the relay's channel; an empty batch (no entries) reaches
        // two subscribers once both subscriptions have taken effect.
        guard NodeLoop.wait(seconds: 30, until: { sender.command(state, RedisCommand("PUBLISH", state.receiver.eventsChannel, ""))?.integer == 2 }) else {
            throw ValidationError("the subscriptions did not take effect")
        }
        state.probesDone()
        let before = RedisFigures(info: sender.command(state, RedisCommand("INFO", "all"))?.text ?? "")
        let cpuBefore = ProcessStats.cpuSeconds(pid: 0) ?? 0
        print("redis-relay: offering \(rate) messages/s for \(seconds) s (XADD of the next seq, then one PUBLISH per loop iteration; pipelined across conversations)")

        // Pace from this thread: every millisecond, hand the sender loop what is due.
        let start = monotonicNanoseconds()
        let end = start + UInt64(seconds * 1e9)
        var offered = 0
        while true {
            let now = monotonicNanoseconds()
            if now >= end { break }
            let due = Int(Double(now - start) / 1e9 * Double(rate))
            if due > offered {
                let batch = offered..<due
                offered = due
                sender.loop.execute { state.send(batch) }
            }
            usleep(1_000)
        }
        _ = NodeLoop.wait(seconds: 5) { state.delivered.load(ordering: .relaxed) >= offered && state.acked.load(ordering: .relaxed) >= offered }
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        let cpu = (ProcessStats.cpuSeconds(pid: 0) ?? 0) - cpuBefore
        let after = RedisFigures(info: sender.command(state, RedisCommand("INFO", "all"))?.text ?? "")
        // Clean up (not counted).
        sender.sync { _ in
            for index in 0..<conversations { state.link.send(RedisCommand("UNLINK", state.sender.stream(state.conversation(index)))) { _ in } }
        }
        _ = sender.command(state, RedisCommand("PING"))

        let (deliveries, acks) = receiver.sync { _ in (state.deliveryLatency, state.ackLatency) }
        let delivered = state.delivered.load(ordering: .relaxed)
        let failures = state.failures.load(ordering: .relaxed)
        let commands = Double(after.calls - before.calls - 1) / Double(max(offered, 1))  // less the INFO itself
        let redisCPU = (after.cpuSeconds - before.cpuSeconds) / Double(max(offered, 1)) * 1e6
        let ourCPU = cpu / Double(max(offered, 1)) * 1e6
        func ms(_ h: Histogram<UInt64>, _ p: Double) -> String { h.totalCount == 0 ? "-" : format(Double(h.valueAtPercentile(p)) / 1e6, 3) }
        print("""
        redis-relay: offered \(offered) in \(format(elapsed, 2)) s, delivered \(delivered), acked \(state.acked.load(ordering: .relaxed)), failed \(failures)
          delivery (send → other node's subscriber) ms: p50 \(ms(deliveries, 50)) p99 \(ms(deliveries, 99)) p99.9 \(ms(deliveries, 99.9)) max \(ms(deliveries, 100))
          ack (send → XADD reply) ms:                   p50 \(ms(acks, 50)) p99 \(ms(acks, 99)) max \(ms(acks, 100))
          Redis commands per message: \(format(commands, 2)) (INFO commandstats); Redis CPU µs/message: \(format(redisCPU, 1)); both nodes' CPU µs/message: \(format(ourCPU, 1))
        """)
        if json {
            print("{\"offered\":\(offered),\"delivered\":\(delivered),\"failed\":\(failures),\"delivery_p50_ms\":\(ms(deliveries, 50)),"
                  + "\"delivery_p99_ms\":\(ms(deliveries, 99)),\"ack_p99_ms\":\(ms(acks, 99)),\"redis_commands_per_message\":\(format(commands, 2)),"
                  + "\"redis_cpu_us_per_message\":\(format(redisCPU, 1)),\"nodes_cpu_us_per_message\":\(format(ourCPU, 1))}")
        }
    }
}

/// What both loops of the benchmark share. `link` and `ackLatency` belong to the sender
/// loop, `subscription` and `deliveryLatency` to the receiver loop; the counters are atomic.
private final class RelayState: @unchecked Sendable {
    let conversations: Int
    let size: Int
    let prefix: String
    let streamLength: Int
    var link: RedisConnection!
    var senderSubscription: RedisSubscription!
    var sender: ConversationRelay!
    var receiverLink: RedisConnection!
    var subscription: RedisSubscription!
    var receiver: ConversationRelay!
    var deliveryLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var ackLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    let delivered = Atomic<Int>(0)
    let acked = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    private let counting = Atomic<Bool>(false)

    init(conversations: Int, size: Int, prefix: String, streamLength: Int) {
        self.conversations = conversations
        self.size = size
        self.prefix = prefix
        self.streamLength = streamLength
    }

    func conversation(_ index: Int) -> String { "c-0-\(index)" }
    func probesDone() { counting.store(true, ordering: .releasing) }

    /// On the sender loop.
    func send(_ messages: Range<Int>) {
        for message in messages {
            let sent = monotonicNanoseconds()
            var payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
            withUnsafeBytes(of: sent.littleEndian) { payload.replaceSubrange(0..<8, with: $0) }
            sender.append(to: conversation(message % conversations), clientID: "m\(message)", encode: { _ in payload }) { [self] result in
                if case .failure = result { failures.add(1, ordering: .relaxed) }
                ackLatency.record(monotonicNanoseconds() - sent)
                acked.add(1, ordering: .relaxed)
            }
        }
    }

    /// On the receiver loop.
    func received(_ payload: [UInt8]) {
        guard counting.load(ordering: .acquiring), payload.count >= 8 else { return }
        let sent = payload.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        deliveryLatency.record(monotonicNanoseconds() &- sent)
        delivered.add(1, ordering: .relaxed)
    }
}

/// Redis's own figures from `INFO all`: commands run (every `cmdstat_*`'s calls,
/// commands inside scripts included) and CPU seconds.
private struct RedisFigures {
    var calls: Int = 0
    var cpuSeconds: Double = 0

    init(info: String) {
        for line in info.split(whereSeparator: \.isNewline) {  // "\r\n" is one Character
            if line.hasPrefix("cmdstat_"), let callsField = line.split(separator: ":").last?.split(separator: ",").first,
               callsField.hasPrefix("calls="), let n = Int(callsField.dropFirst(6)) {
                calls += n
            } else if line.hasPrefix("used_cpu_sys:") || line.hasPrefix("used_cpu_user:"),
                      let value = line.split(separator: ":").last.flatMap({ Double($0) }) {
                cpuSeconds += value
            }
        }
    }
}

/// An event loop on a thread of its own, driven from the main thread.
private final class NodeLoop: @unchecked Sendable {
    let loop: EventLoop
    private let thread: PosixThread

    init(name: String) throws {
        let loop = try EventLoop(id: 0, readBufferSize: 4096)
        self.loop = loop
        thread = try PosixThread(name: name) { loop.run() }
    }

    /// Runs `body` on the loop and waits for its result.
    func sync<T>(_ body: @escaping (EventLoop) -> T) -> T {
        let slot = Slot<T>()
        let loop = self.loop
        nonisolated(unsafe) let body = body
        loop.execute { slot.set(body(loop)) }
        while true {
            if let value = slot.get() { return value }
            usleep(200)
        }
    }

    /// One command on the state's link, its reply (nil on failure or after 10 s).
    func command(_ state: RelayState, _ command: RedisCommand) -> RESPValue? {
        let slot = Slot<RESPValue?>()
        loop.execute { state.link.send(command) { slot.set(try? $0.get()) } }
        guard Self.wait(seconds: 10, until: { slot.get() != nil }) else { return nil }
        return slot.get() ?? nil
    }

    func stop() {
        loop.stop()
        thread.join()
    }

    static func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        while !condition() {
            if monotonicNanoseconds() > deadline { return false }
            usleep(1_000)
        }
        return true
    }
}

/// A value handed from a loop's thread to the waiting main thread.
private final class Slot<T>: @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private var value: T?

    func set(_ newValue: T) { lock.withLock { _ in value = newValue } }
    func get() -> T? { lock.withLock { _ in value } }
}
