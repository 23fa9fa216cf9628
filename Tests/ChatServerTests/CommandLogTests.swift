#if canImport(Glibc)
import Glibc
#endif
import Redis
import RedisClient
import RedisTestSupport
import Synchronization
import Testing
@testable import ChatServer

/// The command log against a real redis-server: fenced appends, reading in order,
/// resuming after Redis restarts.
@Suite(.serialized) struct CommandLogTests {
    /// A command log on a loop of its own (the rig's connection writes), collecting what it reads.
    final class Node: @unchecked Sendable {
        let rig: LinkRig
        private(set) var log: CommandLog!
        let records = Mutex<[CommandLog.Record]>([])
        let missing = Mutex<[(Int64, Int64)]>([])

        init(port: UInt16) throws {
            rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: port))
            #expect(rig.waitUntil { $0.isUp })
            rig.perform { [self] rig in
                log = CommandLog(loop: rig.loop, address: rig.connection.address, keyPrefix: "switchboard", writer: rig.connection)
                log.received = { [unowned self] batch in self.records.withLock { $0 += batch } }
                log.missing = { [unowned self] expected, found in self.missing.withLock { $0.append((expected, found)) } }
                log.start()
            }
        }

        func append(_ payloads: [[UInt8]], identity: String = "east@i1", epoch: Int64) -> Result<[String], RedisFailure> {
            let outcome = Mutex<Result<[String], RedisFailure>?>(nil)
            rig.perform { [self] _ in
                log.append(payloads, identity: identity, epoch: epoch) { result in outcome.withLock { $0 = result.map(\.ids) } }
            }
            _ = LinkRig.wait { outcome.withLock { $0 != nil } }
            return outcome.withLock { $0! }
        }

        func command(_ command: RedisCommand) -> RESPValue? {
            rig.send([command])
            return try? rig.waitForReplies(1).first?.get()
        }

        func waitForRecords(_ count: Int) -> [CommandLog.Record] {
            _ = LinkRig.wait { records.withLock { $0.count >= count } }
            usleep(50_000)  // and nothing more arrives
            return records.withLock { $0 }
        }

        func stop() {
            rig.perform { [self] _ in log.stop() }
            rig.stop()
        }
    }

    private let payloads: [[UInt8]] = [Array("first".utf8), [0, 13, 10, 36, 255], Array("안녕하세요".utf8)]

    /// A read Redis refuses (after a restart: LOADING while it replays its AOF; here
    /// WRONGTYPE) is tried again shortly: a reader that gave up would leave its node
    /// deaf to the log while its link looks up, so that none of its requests would ever
    /// be seen applied (found by loadtest/chaos.py).
    @Test func aReadRedisRefusesIsTriedAgain() throws {
        let server = try RedisServer()
        let writer = try Node(port: server.port)
        defer { writer.stop() }
        #expect(writer.command(RedisCommand("SET", "switchboard:log", "not a stream")) == .simple("OK"))
        let reader = try Node(port: server.port)  // its reads are refused for a while
        defer { reader.stop() }
        usleep(700_000)
        #expect(writer.command(RedisCommand("DEL", "switchboard:log")) == .integer(1))
        #expect(writer.command(RedisCommand("SET", "switchboard:lease", "east@i1 1")) == .simple("OK"))
        _ = try writer.append([payloads[0]], epoch: 1).get()
        #expect(reader.waitForRecords(1).map(\.number) == [1])
    }

    /// Entries are numbered from 1; a reader that finds a number skipped (the log was
    /// trimmed past where it was) stops there and says so, and reads on from where it
    /// is told to resume (a snapshot's place).
    @Test func aReaderBehindTheTrimmedStartIsToldWhatIsMissing() throws {
        let server = try RedisServer()
        let writer = try Node(port: server.port)
        defer { writer.stop() }
        #expect(writer.command(RedisCommand("SET", "switchboard:lease", "east@i1 1")) == .simple("OK"))
        _ = writer.append([payloads[0]], epoch: 1)
        #expect(writer.waitForRecords(1).map(\.number) == [1])

        let late = try Node(port: server.port)
        defer { late.stop() }
        _ = late.waitForRecords(1)
        late.rig.perform { _ in late.log.stop() }  // cut off for a while
        let ids = try writer.append(payloads, epoch: 1).get() + writer.append(payloads, epoch: 1).get()
        #expect(writer.waitForRecords(7).map(\.number) == Array(1...7))
        #expect(writer.command(RedisCommand("XTRIM", "switchboard:log", "MINID", ids[3])) == .integer(4))

        late.rig.perform { _ in late.log.start() }
        _ = LinkRig.wait { late.missing.withLock { !$0.isEmpty } }
        #expect(late.missing.withLock { $0.map { [$0.0, $0.1] } } == [[2, 5]])
        #expect(late.records.withLock { $0.count } == 1, "nothing after the gap was handed on")
        late.rig.perform { _ in late.log.resume(after: ids[2], number: 4) }  // as a snapshot at entry 4 says
        #expect(late.waitForRecords(4).map(\.number) == [1, 5, 6, 7])
        #expect(late.missing.withLock { $0.count } == 1)
    }

    @Test func appendsUnderTheLeaseAreReadBackInOrderByEveryNode() throws {
        let server = try RedisServer()
        let writer = try Node(port: server.port)
        let reader = try Node(port: server.port)
        defer { writer.stop(); reader.stop() }
        #expect(writer.command(RedisCommand("SET", "switchboard:lease", "east@i1 4")) == .simple("OK"))

        let first = writer.append(Array(payloads[0..<2]), epoch: 4)
        let second = writer.append([payloads[2]], epoch: 4)
        #expect((try? first.get())?.count == 2 && (try? second.get())?.count == 1)
        for node in [reader, writer] {
            let records = node.waitForRecords(3)
            #expect(records.map(\.payload) == payloads)
            #expect(records.allSatisfy { $0.epoch == 4 })
            #expect(records[0].time > 1_700_000_000_000 && records[0].time == records[1].time && records[2].time >= records[1].time,
                    "Redis's time, the same within one append and never decreasing")
            #expect(records.map(\.id) == (try first.get()) + (try second.get()))
        }
    }

    @Test func anAppendWithoutTheLeaseAtThatEpochIsRefusedAndAddsNothing() throws {
        let server = try RedisServer()
        let node = try Node(port: server.port)
        defer { node.stop() }
        #expect(node.command(RedisCommand("SET", "switchboard:lease", "east@i1 7")) == .simple("OK"))
        #expect((try? node.append([payloads[0]], epoch: 7).get())?.count == 1)

        func expectFenced(_ result: Result<[String], RedisFailure>, _ why: Comment) {
            guard case .failure(.replied(let text)) = result, text.hasPrefix("FENCED") else {
                Issue.record("expected FENCED: \(result); \(why)")
                return
            }
        }
        expectFenced(node.append([payloads[1]], epoch: 6), "a stale epoch")
        expectFenced(node.append([payloads[1]], identity: "east@old", epoch: 7), "an earlier process of the same node")
        #expect(node.command(RedisCommand("SET", "switchboard:lease", "west@j2 8")) == .simple("OK"))
        expectFenced(node.append([payloads[1]], epoch: 7), "the lease moved on")
        #expect(node.command(RedisCommand("DEL", "switchboard:lease")) == .integer(1))
        expectFenced(node.append([payloads[1]], epoch: 7), "the lease ran out")
        #expect(node.command(RedisCommand("XLEN", "switchboard:log")) == .integer(1))
        #expect(node.waitForRecords(1).map(\.payload) == [payloads[0]])
    }

    @Test func readingResumesAfterARedisRestartWithNothingTwiceOrMissed() throws {
        let directory = "/tmp/switchboard-commandlog-\(getpid())"
        mkdir(directory, 0o700)
        let server = try RedisServer(extraArguments: ["--appendonly", "yes", "--appendfsync", "always", "--dir", directory])
        let writer = try Node(port: server.port)
        let reader = try Node(port: server.port)
        defer { writer.stop(); reader.stop() }
        #expect(writer.command(RedisCommand("SET", "switchboard:lease", "east@i1 2")) == .simple("OK"))
        #expect((try? writer.append(Array(payloads[0..<2]), epoch: 2).get()) != nil)
        #expect(reader.waitForRecords(2).count == 2)

        server.stop()
        try server.start()
        #expect(writer.rig.waitUntil { $0.isUp })
        var appended: [String]?
        _ = LinkRig.wait {
            appended = try? writer.append([payloads[2]], epoch: 2).get()
            return appended != nil
        }
        #expect(appended?.count == 1)
        #expect(reader.waitForRecords(3).map(\.payload) == payloads)
    }

    @Test func timeInTheLogNeverRunsBackwards() throws {
        let server = try RedisServer()
        let node = try Node(port: server.port)
        defer { node.stop() }
        #expect(node.command(RedisCommand("SET", "switchboard:lease", "east@i1 1")) == .simple("OK"))
        // As if an earlier holder had stamped an entry a minute ahead (a clock stepped back since).
        let ahead = Int64(2_000_000_000_000)
        #expect(node.command(RedisCommand("SET", "switchboard:log-time", ahead)) == .simple("OK"))
        #expect((try? node.append([payloads[0]], epoch: 1).get()) != nil)
        #expect(node.waitForRecords(1).first?.time == ahead)
    }

    @Test func anXREADReplyOfAnotherShapeIsNotMisread() {
        #expect(CommandLog.records(in: .array(nil)) == [])
        #expect(CommandLog.records(in: .simple("OK")) == nil)
        let entry = RESPValue.array([.bulk(Array("1-0".utf8)), .array([.bulk(Array("e".utf8)), .bulk(Array("3".utf8))])])
        #expect(CommandLog.records(in: .array([.array([.bulk(Array("switchboard:log".utf8)), .array([entry])])])) == nil,
                "an entry without its payload")
    }
}
