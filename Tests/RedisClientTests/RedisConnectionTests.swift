#if canImport(Glibc)
import Glibc
#endif
import Posix
import RedisTestSupport
import Redis
import RedisClient
import Testing

/// The link against a real redis-server: pipelining, order, errors, and what happens
/// when the server goes away, comes back, stalls or talks nonsense.
@Suite(.serialized) struct RedisConnectionTests {
    @Test func pipelinedCommandsAreAnsweredInTheOrderTheyWereSent() throws {
        let server = try RedisServer()
        let rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: server.port))
        defer { rig.stop() }
        #expect(rig.waitUntil { $0.isUp })
        rig.send((0..<1_000).map { _ in RedisCommand("INCR", "counter") })
        let replies = rig.waitForReplies(1_000)
        #expect(replies.compactMap { try? $0.get().integer } == Array(1...1_000))

        let bytes: [UInt8] = Array(0...255) + Array("\r\n$-1\r\n".utf8)
        rig.send([RedisCommand("SET", "binary", bytes), RedisCommand("GET", "binary"), RedisCommand("GET", "missing"),
                  RedisCommand("LPUSH", "binary", "x")])
        let more = rig.waitForReplies(4)
        #expect(try more[0].get() == .simple("OK"))
        #expect(try more[1].get() == .bulk(bytes))
        #expect(try more[2].get() == .bulk(nil))
        guard case .failure(.replied(let text)) = more[3] else {
            Issue.record("a WRONGTYPE error reply should fail the command: \(more[3])")
            return
        }
        #expect(text.hasPrefix("WRONGTYPE"))
    }

    @Test func aLostServerFailsWhatWaitsAndTheLinkComesBackByItself() throws {
        let server = try RedisServer()
        let rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: server.port))
        defer { rig.stop() }
        #expect(rig.waitUntil { $0.isUp })
        // A command blocked inside Redis is waiting when the server dies.
        rig.send([RedisCommand("BLPOP", "nothing", 5)])
        usleep(100_000)
        server.stop()
        let lost = rig.waitForReplies(1)
        guard case .failure(.disconnected) = lost.first else {
            Issue.record("a command in flight should fail as disconnected: \(lost)")
            return
        }
        #expect(rig.waitUntil { $0.isDown })
        rig.send([RedisCommand("PING")])
        guard case .failure(.unavailable) = rig.waitForReplies(1).first else {
            Issue.record("a command while the link is down should fail at once as unavailable")
            return
        }
        try server.start()
        #expect(rig.waitUntil(seconds: 10) { $0.isUp }, "the link did not come back after Redis restarted")
        rig.send([RedisCommand("PING")])
        #expect(try rig.waitForReplies(1).first?.get() == .simple("PONG"))
    }

    @Test func aServerThatNeverAnswersCountsAsABrokenLink() throws {
        // A listening socket nobody accepts from: the kernel completes the handshake,
        // takes the bytes, and nothing ever comes back.
        let silent = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        defer { Socket.close(silent) }
        let rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: Socket.localPort(silent)), replyTimeout: 300_000_000)
        defer { rig.stop() }
        #expect(rig.waitUntil { $0.isUp })
        rig.send([RedisCommand("PING")])
        let replies = rig.waitForReplies(1, seconds: 5)
        guard case .failure(.disconnected(let reason)) = replies.first else {
            Issue.record("an unanswered command should fail as disconnected: \(replies)")
            return
        }
        #expect(reason.contains("no reply"))
    }

    @Test func nonsenseFromTheServerDropsTheLinkWithTheReason() throws {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        defer { Socket.close(listener) }
        let rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: Socket.localPort(listener)))
        defer { rig.stop() }
        #expect(rig.waitUntil { $0.isUp })
        rig.send([RedisCommand("PING")])
        var peer: Int32 = -1
        _ = LinkRig.wait { peer = accept(listener, nil, nil); return peer >= 0 }
        defer { if peer >= 0 { close(peer) } }
        let garbage = Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)
        _ = garbage.withUnsafeBytes { write(peer, $0.baseAddress, $0.count) }
        guard case .failure(.disconnected(let reason)) = rig.waitForReplies(1).first else {
            Issue.record("a reply that is not RESP should drop the link")
            return
        }
        #expect(reason.contains("bad reply"))
    }

    @Test func aPasswordIsSentFirstAndAWrongOneKeepsTheLinkDown() throws {
        let server = try RedisServer(extraArguments: ["--requirepass", "right"])
        let good = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: server.port, password: "right", database: 3))
        defer { good.stop() }
        #expect(good.waitUntil { $0.isUp })
        good.send([RedisCommand("SET", "k", "v"), RedisCommand("CLIENT", "INFO")])
        let replies = good.waitForReplies(2)
        #expect(try replies[0].get() == .simple("OK"))
        #expect(replies[1].map { $0.text?.contains("db=3") == true } == .success(true))

        let bad = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: server.port, password: "wrong"))
        defer { bad.stop() }
        #expect(LinkRig.wait { bad.states.withLock { $0.contains { if case .down(let why) = $0 { why.contains("AUTH") } else { false } } } })
    }
}
