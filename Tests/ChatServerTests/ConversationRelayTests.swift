#if canImport(Glibc)
import Glibc
#endif
import ChatCore
import Redis
import RedisClient
import RedisTestSupport
import Synchronization
import Testing
@testable import ChatServer

/// Conversation events between nodes against a real redis-server: gapless sequence
/// numbers with two nodes writing one conversation at once, every event heard once by
/// every node that follows, duplicates found across nodes, reading back for resume.
@Suite(.serialized) struct ConversationRelayTests {
    /// A relay on a loop of its own, recording what it hears and what its appends gave.
    final class Node: @unchecked Sendable {
        let rig: LinkRig
        private(set) var relay: ConversationRelay!
        private var subscription: RedisSubscription!
        let heard = Mutex<[String: [ConversationRelay.Event]]>([:])
        let appended = Mutex<[ConversationRelay.Appended]>([])

        init(port: UInt16) throws {
            rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: port))
            #expect(rig.waitUntil { $0.isUp })
            rig.perform { [self] rig in
                subscription = RedisSubscription(loop: rig.loop, address: rig.connection.address)
                relay = ConversationRelay(link: rig.connection, subscription: subscription, keyPrefix: "switchboard")
                relay.eventReceived = { [unowned self] conversation, event in heard.withLock { $0[conversation, default: []].append(event) } }
                subscription.start()
            }
            #expect(LinkRig.wait { self.subscribed() })
        }

        private func subscribed() -> Bool {
            let up = Mutex(false)
            rig.perform { [self] _ in up.withLock { $0 = subscription.link.state == .up } }
            return up.withLock { $0 }
        }

        let notes = Mutex<[(String, [UInt8])]>([])

        func follow(_ conversation: String) { rig.perform { [self] _ in relay.follow(conversation) } }

        /// Follows having stored the conversation through `seq` already (a node that
        /// joins a conversation late, or restarts).
        func follow(_ conversation: String, holding seq: Int64) {
            rig.perform { [self] _ in
                relay.heldThrough = { _ in seq }
                relay.noteReceived = { [unowned self] _, recipients, bytes in notes.withLock { $0.append((recipients, bytes)) } }
                relay.follow(conversation)
            }
        }

        func notify(_ conversation: String, recipients: String, _ text: String) {
            rig.perform { [self] _ in relay.notify(conversation, recipients: recipients, Array(text.utf8)) }
        }

        func send(_ conversation: String, _ texts: [String], clientIDs: [String?]? = nil, ts: Int64 = 0) {
            rig.perform { [self] _ in
                for (index, text) in texts.enumerated() {
                    relay.append(to: conversation, clientID: clientIDs?[index] ?? text, ts: ts,
                                 encode: { seq in Array("\(seq):\(text)".utf8) }) {
                        [unowned self] result in
                        if case .success(let appended) = result { self.appended.withLock { $0.append(appended) } }
                    }
                }
            }
        }

        func ensure(_ conversation: String, _ clientID: String, text: String) -> Result<ConversationRelay.Ensured, RedisFailure>? {
            let slot = Mutex<Result<ConversationRelay.Ensured, RedisFailure>?>(nil)
            rig.perform { [self] _ in
                relay.ensure(conversation, clientID: clientID, recipients: "", encode: { seq in Array("\(seq):\(text)".utf8) }) { result in
                    slot.withLock { $0 = result }
                }
            }
            _ = LinkRig.wait { slot.withLock { $0 != nil } }
            return slot.withLock { $0 }
        }

        func events(_ conversation: String, count: Int) -> [ConversationRelay.Event] {
            _ = LinkRig.wait { heard.withLock { $0[conversation, default: []].count >= count } }
            return heard.withLock { $0[conversation, default: []] }
        }

        func read(_ conversation: String, after seq: Int64) -> [ConversationRelay.Event] {
            let slot = Mutex<[ConversationRelay.Event]?>(nil)
            rig.perform { [self] _ in relay.read(conversation, after: seq, limit: 1_000) { result in slot.withLock { $0 = try? result.get() } } }
            _ = LinkRig.wait { slot.withLock { $0 != nil } }
            return slot.withLock { $0 ?? [] }
        }

        func closeSubscription() {
            rig.perform { [self] _ in subscription.close() }
            _ = LinkRig.wait { !self.subscribed() }
        }

        func stop() {
            rig.perform { [self] _ in subscription.close() }
            rig.stop()
        }
    }

    @Test func twoNodesWritingOneConversationGetGaplessNumbersAndHearEverything() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        let west = try Node(port: server.port)
        defer { east.stop(); west.stop() }
        east.follow("c-1-7")
        west.follow("c-1-7")
        usleep(100_000)  // both subscribed before the first event
        let customer = (1...200).map { "customer \($0)" }
        let agent = (1...200).map { "agent \($0)" }
        east.send("c-1-7", customer)
        west.send("c-1-7", agent)

        for node in [east, west] {
            let events = node.events("c-1-7", count: 400)
            #expect(events.map(\.seq) == Array(1...400), "every event once, in seq order, no gaps")
            let texts = events.map { String(decoding: $0.bytes, as: UTF8.self) }
            #expect(texts.map { $0.split(separator: ":").first.map(String.init) } == (1...400).map { "\($0)" },
                    "each event was encoded with the seq it got")
            let bodies = texts.map { String($0.split(separator: ":", maxSplits: 1)[1]) }
            #expect(bodies.filter { $0.hasPrefix("customer") } == customer, "each side's messages in the order sent")
            #expect(bodies.filter { $0.hasPrefix("agent") } == agent)
        }
        #expect(east.read("c-1-7", after: 390).map(\.seq) == Array(391...400))
        #expect(east.appended.withLock { $0.count } == 200 && west.appended.withLock { $0.count } == 200)
    }

    /// One side sending a long burst does not shut the other out: the writer waits to hear
    /// each event back before its next, so a node refused because the burst took the
    /// number tries the next one on equal terms (sent at once, the burst's next append was
    /// in Redis first every time, and the other side's message was given up after 32
    /// refusals).
    @Test func aBurstFromOneSideDoesNotShutOutTheOther() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        let west = try Node(port: server.port)
        defer { east.stop(); west.stop() }
        east.follow("c-1-8")
        west.follow("c-1-8")
        usleep(100_000)
        east.send("c-1-8", (1...400).map { "burst \($0)" })
        _ = LinkRig.wait { east.appended.withLock { $0.count >= 20 } }
        west.send("c-1-8", ["wait", "a", "moment"])
        #expect(LinkRig.wait(seconds: 20) { west.appended.withLock { $0.count == 3 } }, "west's three got in")
        #expect(LinkRig.wait(seconds: 20) { east.appended.withLock { $0.count == 400 } })
        #expect(west.events("c-1-8", count: 403).map(\.seq) == Array(1...403))
    }

    /// A listener stores a heard event without decoding it: the writer's `ts` comes with
    /// it on the channel, in the stream (read back for a gap or a resume), and to the writer itself.
    @Test func anEventCarriesItsWritersTimestampEverywhere() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        let west = try Node(port: server.port)
        defer { east.stop(); west.stop() }
        east.follow("c-1-9")
        west.follow("c-1-9")
        usleep(100_000)
        east.send("c-1-9", ["안녕하세요"], clientIDs: ["c:m1"], ts: 1_733_000_000_123)
        for node in [east, west] {
            #expect(node.events("c-1-9", count: 1).map(\.ts) == [1_733_000_000_123])
        }
        #expect(west.read("c-1-9", after: 0).map(\.ts) == [1_733_000_000_123])
        east.send("c-1-9", ["untimed"], clientIDs: ["c:m2"])
        #expect(west.events("c-1-9", count: 2).map(\.ts) == [1_733_000_000_123, 0], "0: not told (the listener decodes it)")
    }

    /// The events a node stores in one loop iteration, for many conversations, go out in
    /// one `PUBLISH` (or a few, as the replies come back), and every listener hears each.
    @Test func eventsOfManyConversationsStoredTogetherArePublishedTogether() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        let west = try Node(port: server.port)
        defer { east.stop(); west.stop() }
        let conversations = (1...50).map { "c-1-\(100 + $0)" }
        for conversation in conversations { west.follow(conversation) }
        usleep(200_000)
        east.rig.perform { _ in
            for conversation in conversations {
                east.relay.append(to: conversation, clientID: "m1", encode: { seq in Array("\(seq):hello".utf8) }) { _ in }
            }
        }
        for conversation in conversations {
            #expect(west.events(conversation, count: 1).map(\.seq) == [1], "\(conversation) heard once")
        }
        let published = Mutex((batches: UInt64(0), entries: UInt64(0)))
        east.rig.perform { _ in published.withLock { $0 = (east.relay.batchesPublished, east.relay.entriesPublished) } }
        let (batches, entries) = published.withLock { $0 }
        #expect(entries == 50)
        #expect(batches >= 1 && batches <= 25, "\(batches) PUBLISHes for 50 events stored together")
    }

    /// The writer hands its own event on as soon as Redis has stored it, without waiting
    /// for the channel: here its subscriber link is closed and it still hears it, once.
    @Test func theWriterHandsItsOwnEventOnWithoutTheChannel() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        defer { east.stop() }
        east.follow("c-1-20")
        usleep(100_000)
        east.closeSubscription()
        east.send("c-1-20", ["hello", "anyone there?"], clientIDs: ["m1", "m2"])
        #expect(east.events("c-1-20", count: 2).map(\.seq) == [1, 2])
        #expect(east.appended.withLock { $0.count } == 2)
    }

    @Test func aBatchCarriesEachConversationsEventsInOrderAndRefusesAPartOne() {
        var batch = RelayBatch()
        let first = ConversationRelay.Event(seq: 7, clientID: "m-안녕", bytes: Array("{\"type\":\"message\"}".utf8), recipients: "c1 a2")
        let note = ConversationRelay.Event(seq: 0, clientID: nil, bytes: Array("typing".utf8), recipients: "a2")
        batch.add("c-1-7", first)
        batch.add("c-1-8", note)
        batch.add("c-1-7", ConversationRelay.Event(seq: 8, clientID: nil, bytes: []))
        #expect(batch.count == 3)
        let payload = batch.take()
        #expect(batch.isEmpty && batch.bytes.isEmpty)
        let entries = RelayBatch.entries(of: payload)
        #expect(entries?.map(\.conversation) == ["c-1-7", "c-1-8", "c-1-7"])
        #expect(entries?.map(\.event) == [first, note, ConversationRelay.Event(seq: 8, clientID: nil, bytes: [])])
        #expect(RelayBatch.entries(of: [])?.isEmpty == true)
        for cut in [1, 3, 9, payload.count - 1] {
            #expect(RelayBatch.entries(of: Array(payload.prefix(cut))) == nil, "cut at \(cut)")
        }
        #expect(RelayBatch.entries(of: [0, 1, 65, 0, 0, 0, 3, 0, 0, 0]) == nil, "a frame too short to be one")
    }

    @Test func aResentMessageIsADuplicateOnAnyNode() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        let west = try Node(port: server.port)
        defer { east.stop(); west.stop() }
        east.send("c-1-9", ["hello", "order 2024-0001?"], clientIDs: ["m1", "m2"])
        #expect(LinkRig.wait { east.appended.withLock { $0.count == 2 } })
        // The client missed the ack, reconnected to the other node and sent m2 again.
        west.send("c-1-9", ["order 2024-0001?"], clientIDs: ["m2"])
        #expect(LinkRig.wait { west.appended.withLock { $0.count == 1 } })
        #expect(west.appended.withLock { $0 } == [.duplicate(seq: 2)])
        #expect(west.read("c-1-9", after: 0).map(\.clientID) == ["m1", "m2"], "nothing was stored twice")
    }

    @Test func anAppendRefusedBecauseAnotherNodeWroteFirstTakesTheNextNumber() throws {
        let server = try RedisServer()
        let west = try Node(port: server.port)
        defer { west.stop() }
        west.follow("c-1-11")
        usleep(100_000)
        // Another node's event, written behind west's back (not published).
        west.rig.send([RedisCommand("XADD", "switchboard:conv:c-1-11", "0-1", "e", "1:agent_joined")])
        #expect(try west.rig.waitForReplies(1).first?.get() == .bulk(Array("0-1".utf8)))
        west.send("c-1-11", ["after the join"], clientIDs: ["m1"])
        #expect(LinkRig.wait { west.appended.withLock { $0.count == 1 } })
        guard case .stored(let event)? = west.appended.withLock({ $0.first }) else {
            Issue.record("the append failed")
            return
        }
        #expect(event.seq == 2 && event.bytes == Array("2:after the join".utf8))
        let refused = Mutex<UInt64>(0)
        west.rig.perform { _ in refused.withLock { $0 = west.relay.refusedAppends } }
        #expect(refused.withLock { $0 } == 1)
        #expect(west.read("c-1-11", after: 0).map(\.seq) == [1, 2])
    }

    /// An append whose reply was lost with the link (Redis stored it, the node never
    /// published it) and that is sent again finds itself stored: it is published then,
    /// so the other nodes hear it now rather than at the conversation's next event.
    @Test func anEventStoredByATryWhoseReplyWasLostIsPublishedWhenSentAgain() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        let west = try Node(port: server.port)
        defer { east.stop(); west.stop() }
        east.follow("c-1-13")
        west.follow("c-1-13")
        usleep(100_000)
        // east's first try: stored, but its reply (and so its PUBLISH) never came.
        east.rig.send([RedisCommand("XADD", "switchboard:conv:c-1-13", "0-1", "e", "1:where is my order?", "k", "m1")])
        _ = east.rig.waitForReplies(1)
        east.send("c-1-13", ["where is my order?"], clientIDs: ["m1"])
        #expect(LinkRig.wait { east.appended.withLock { $0.count == 1 } })
        #expect(east.appended.withLock { $0 } == [.duplicate(seq: 1)])
        #expect(west.events("c-1-13", count: 1).map(\.seq) == [1], "west hears it without waiting for a next event")
        #expect(east.events("c-1-13", count: 1).map(\.seq) == [1])
    }

    /// A decision's event that its node did not write is written by the first node that
    /// checks (`ensure`), once; one that is there — even unpublished — is found, and
    /// handed on to a node that had not heard it.
    @Test func ensureWritesAMissingEventOnceAndFindsOneThatIsThere() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        let west = try Node(port: server.port)
        defer { east.stop(); west.stop() }
        east.follow("c-1-14")
        west.follow("c-1-14")
        usleep(100_000)
        guard case .success(.written(let event))? = east.ensure("c-1-14", "d:5:0", text: "agent_joined") else {
            Issue.record("east did not write the missing event")
            return
        }
        #expect(event.seq == 1)
        #expect(west.events("c-1-14", count: 1).map(\.seq) == [1])
        #expect(west.ensure("c-1-14", "d:5:0", text: "agent_joined") == .success(.present(seq: 1)))
        // Written by its node but never published: found, and handed on here.
        west.rig.send([RedisCommand("XADD", "switchboard:conv:c-1-14", "0-2", "e", "2:transferred", "k", "d:6:0")])
        _ = west.rig.waitForReplies(1)
        #expect(west.ensure("c-1-14", "d:6:0", text: "transferred") == .success(.present(seq: 2)))
        #expect(west.events("c-1-14", count: 2).map(\.seq) == [1, 2])
        #expect(west.read("c-1-14", after: 0).map(\.clientID) == ["d:5:0", "d:6:0"], "nothing written twice")
        // Not followed here: nothing to check.
        #expect(east.ensure("c-1-15", "d:7:0", text: "x") == .success(.present(seq: nil)))
    }

    @Test func eventsMissedByPubSubAreReadFromTheStreamInOrder() throws {
        let server = try RedisServer()
        let west = try Node(port: server.port)
        defer { west.stop() }
        west.follow("c-1-12")
        usleep(100_000)
        func write(_ seq: Int, publish: Bool) {
            let event = ConversationRelay.Event(seq: Int64(seq), clientID: "m\(seq)", bytes: Array("\(seq)".utf8))
            var commands = [RedisCommand("XADD", "switchboard:conv:c-1-12", "0-\(seq)", "e", event.bytes, "k", "m\(seq)")]
            if publish {
                var batch = RelayBatch()
                batch.add("c-1-12", event)
                commands.append(RedisCommand("PUBLISH", "switchboard:conv-events", batch.take()))
            }
            west.rig.send(commands)
            _ = west.rig.waitForReplies(commands.count)
        }
        // 1 and 2 never published (lost to Pub/Sub); 3 is: the gap is read first.
        write(1, publish: false)
        write(2, publish: false)
        write(3, publish: true)
        #expect(west.events("c-1-12", count: 3).map(\.seq) == [1, 2, 3])
        // The subscriber link is cut; 4 and 5 are written meanwhile and never published.
        west.rig.send([RedisCommand("CLIENT", "KILL", "TYPE", "pubsub")])
        _ = west.rig.waitForReplies(1)
        write(4, publish: false)
        write(5, publish: false)
        #expect(west.events("c-1-12", count: 5).map(\.seq) == [1, 2, 3, 4, 5], "read back once the link returned")
        write(6, publish: true)
        #expect(west.events("c-1-12", count: 6).map(\.seq) == [1, 2, 3, 4, 5, 6], "and each once only")
    }

    @Test func aNodeFollowingLateHearsWhatItLacksFirstThenNews() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        let west = try Node(port: server.port)
        defer { east.stop(); west.stop() }
        east.send("c-1-20", (1...10).map { "early \($0)" })
        #expect(LinkRig.wait { east.appended.withLock { $0.count == 10 } })
        // West stored 1…4 before (say, before a restart): it hears 5…10 from the stream, then news.
        west.follow("c-1-20", holding: 4)
        #expect(west.events("c-1-20", count: 6).map(\.seq) == Array(5...10))
        east.send("c-1-20", ["late"])
        let heard = west.events("c-1-20", count: 7)
        #expect(heard.map(\.seq) == Array(5...11))
        #expect(heard.last?.bytes == Array("11:late".utf8))
        // A note (typing, a receipt) reaches the followers, with its recipients, and is not kept.
        west.notify("c-1-20", recipients: "c3 a1", "typing")
        #expect(LinkRig.wait { west.notes.withLock { $0.count == 1 } })
        #expect(west.notes.withLock { $0.first?.0 } == "c3 a1")
        #expect(west.read("c-1-20", after: 0).count == 11)
    }

    @Test func anEndedConversationsStreamExpires() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port)
        defer { east.stop() }
        east.send("c-1-30", ["hello", "bye"])
        #expect(LinkRig.wait { east.appended.withLock { $0.count == 2 } })
        let ttl = Mutex<Int64?>(nil)
        east.rig.perform { rig in
            let relay = east.relay!
            relay.retire("c-1-30")
            rig.connection.send(RedisCommand("PTTL", relay.stream("c-1-30"))) { result in
                if case .integer(let value)? = try? result.get() { ttl.withLock { $0 = value } }
            }
        }
        #expect(LinkRig.wait { ttl.withLock { $0 != nil } })
        let left = ttl.withLock { $0 } ?? 0
        #expect(left > 23 * 3_600 * 1_000 && left <= ConversationRelay.endedLifetimeMilliseconds)
        #expect(east.read("c-1-30", after: 0).count == 2, "still readable until it expires")
    }

    @Test func recipientsRoundTripAndSkipWhatTheyDoNotKnow() {
        let recipients = Recipients(customer: ContactID(12), agents: [AgentID(3), nil, AgentID(7)])
        #expect(recipients.text == "c12 a3 a7")
        #expect(Recipients(text: recipients.text) == recipients)
        #expect(Recipients(text: "a2 x9 c5 zz") == Recipients(customer: ContactID(5), agents: [AgentID(2)]))
        #expect(Recipients(text: "") == Recipients())
    }

    @Test func aFrameCarriesSeqTimestampClientIDAndBytes() {
        let event = ConversationRelay.Event(seq: 300, clientID: "m-안녕", bytes: Array("{\"type\":\"message\"}".utf8))
        #expect(ConversationRelay.unframe(ConversationRelay.frame(event)) == event)
        let bare = ConversationRelay.Event(seq: 1, clientID: nil, bytes: [])
        #expect(ConversationRelay.unframe(ConversationRelay.frame(bare)) == bare)
        #expect(ConversationRelay.unframe([0, 0, 0]) == nil)
        #expect(ConversationRelay.unframe([0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 0] + [0, 9, 1, 0]) == nil,
                "an id longer than the frame")
        let stamped = ConversationRelay.Event(seq: 4, clientID: "a:x", bytes: Array("{}".utf8), recipients: "c1", ts: 1_733_000_000_123)
        #expect(ConversationRelay.unframe(ConversationRelay.frame(stamped)) == stamped)
        let routed = ConversationRelay.Event(seq: 3, clientID: "c:m1", bytes: Array("{}".utf8), recipients: "c1 a2")
        #expect(ConversationRelay.unframe(ConversationRelay.frame(routed)) == routed)
        let note = ConversationRelay.Event(seq: 0, clientID: nil, bytes: Array("typing".utf8), recipients: "a2")
        #expect(ConversationRelay.unframe(ConversationRelay.frame(note)) == note, "a note has seq 0")
    }
}
