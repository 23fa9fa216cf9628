import ChatCore
import Redis
import RedisClient
import RedisTestSupport
import Synchronization
import Testing
@testable import ChatServer

/// The customer sessions a cluster's nodes share: the record's text form, and a real
/// redis-server holding it under the token's hash (never the token).
@Suite(.serialized) struct SharedSessionsTests {
    @Test func aRecordRoundTripsThroughItsText() {
        let record = SharedSessions.Record(language: .en, contact: ContactID(12),
                                           conversations: [ConversationID(4_294_967_296), ConversationID(4_294_967_297)])
        #expect(record.text == "en 12 4294967296,4294967297")
        #expect(SharedSessions.Record(text: record.text) == record)
        let bare = SharedSessions.Record(language: .ko, contact: nil, conversations: [])
        #expect(bare.text == "ko - ")
        #expect(SharedSessions.Record(text: bare.text) == bare)
        for damaged in ["", "ko", "xx 1 2", "ko 1 2,x", "ko 1 2 3"] {
            #expect(SharedSessions.Record(text: damaged) == nil, "\(damaged)")
        }
    }

    @Test func redisHoldsTheRecordUnderTheTokensHash() throws {
        let server = try RedisServer()
        let rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: server.port))
        defer { rig.stop() }
        #expect(rig.waitUntil { $0.isUp })
        let token = "secret-token-of-a-widget"
        let record = SharedSessions.Record(language: .ko, contact: ContactID(3), conversations: [ConversationID(9)])
        let loaded = Mutex<[SharedSessions.Record?]>([])
        let keys = Mutex<[String]>([])
        rig.perform { rig in
            let shared = SharedSessions(link: rig.connection, keyPrefix: "switchboard")
            shared.save(token, record)
            shared.load(token) { found in loaded.withLock { $0.append(try? found.get()) } }
            shared.load("another-token") { found in loaded.withLock { $0.append(try? found.get()) } }
            rig.connection.send(RedisCommand("KEYS", "switchboard:session:*")) { result in
                if case .array(let items?)? = try? result.get() { keys.withLock { $0 = items.compactMap(\.text) } }
            }
        }
        #expect(LinkRig.wait { loaded.withLock { $0.count == 2 } && !keys.withLock { $0.isEmpty } })
        #expect(loaded.withLock { $0 } == [record, nil])
        #expect(keys.withLock { $0 } == ["switchboard:session:" + SharedSessions.digest(token)])
        #expect(!keys.withLock { $0 }.contains { $0.contains(token) })
        #expect(SharedSessions.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// What the test keeps on the rig's loop (touched there only).
    final class OnLoop: @unchecked Sendable {
        var shared: SharedSessions!
        var link: RedisConnection!
    }

    @Test func aRecordRedisCouldNotTakeIsWrittenAgainAndALookupThatCannotAskSaysSo() throws {
        let server = try RedisServer()
        let rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: server.port))
        defer { rig.stop() }
        let token = "a-token-saved-while-redis-was-away"
        let record = SharedSessions.Record(language: .en, contact: ContactID(5), conversations: [])
        let kept = OnLoop()
        let answers = Mutex<[String]>([])
        let unsaved = Mutex(-1)
        rig.perform { rig in
            // A link not started yet: like one that is down.
            kept.link = RedisConnection(loop: rig.loop, address: rig.connection.address)
            kept.shared = SharedSessions(link: kept.link, keyPrefix: "switchboard")
            kept.shared.save(token, record)
            kept.shared.load(token) { found in
                if case .failure = found { answers.withLock { $0.append("failure") } }
            }
        }
        #expect(LinkRig.wait { answers.withLock { $0 } == ["failure"] })
        rig.perform { _ in
            let count = kept.shared.unsavedCount
            unsaved.withLock { $0 = count }
            kept.link.start()
        }
        #expect(LinkRig.wait { unsaved.withLock { $0 } == 1 })
        let up = Mutex(false)
        #expect(LinkRig.wait {
            rig.perform { _ in
                let isUp = kept.link.state == .up
                up.withLock { $0 = isUp }
            }
            return up.withLock { $0 }
        })
        rig.perform { _ in
            kept.shared.retry()
            kept.shared.load(token) { found in
                if case .success(let loaded?) = found, loaded == record { answers.withLock { $0.append("saved") } }
            }
        }
        #expect(LinkRig.wait { answers.withLock { $0 }.last == "saved" })
        rig.perform { _ in kept.link.close() }
    }
}
