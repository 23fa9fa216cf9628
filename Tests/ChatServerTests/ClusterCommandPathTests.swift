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

/// Two nodes' command paths on one real redis-server: commands asked on either node
/// reach the log through the lease holder, both replicas apply the same entries and end
/// up identical, the asker gets its outcome, the other node hears it; the lease moves;
/// a request that reaches the log twice is applied once.
@Suite(.serialized) struct ClusterCommandPathTests {
    /// A lease as a test sets it.
    final class Lease: LeaseView, @unchecked Sendable {
        let identity: String
        var heldEpoch: Int64?
        var holderIdentity: String?
        init(identity: String) { self.identity = identity }
    }

    final class Node: @unchecked Sendable {
        let rig: LinkRig
        let lease: Lease
        private(set) var path: ClusterCommandPath!
        private(set) var replica: CenterReplica!
        private var log: CommandLog!
        private var requests: RedisSubscription!
        let outcomes = Mutex<[String]>([])
        let heard = Mutex<[String]>([])

        /// `snapshotEvery`: writes snapshots (when holding the lease). `fromSnapshot`:
        /// starts from the latest snapshot, as a node does (`ClusterNode`).
        init(port: UInt16, identity: String, snapshotEvery: Int64? = nil, fromSnapshot: Bool = false) throws {
            rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: port))
            lease = Lease(identity: identity)
            #expect(rig.waitUntil { $0.isUp })
            rig.perform { [self] rig in
                replica = try! CenterReplica(configuration: CenterConfiguration())
                // Genesis: the configured agents, the same on every node.
                for handle in ["minji", "joon"] {
                    _ = try! replica.engine.addAgent(AgentProfile(handle: handle, displayName: handle, skills: [QueueID(0), QueueID(1)]))
                }
                log = CommandLog(loop: rig.loop, address: rig.connection.address, keyPrefix: "switchboard", writer: rig.connection)
                requests = RedisSubscription(loop: rig.loop, address: rig.connection.address)
                path = ClusterCommandPath(loop: rig.loop, replica: replica, log: log, lease: lease, link: rig.connection,
                                          requests: requests, keyPrefix: "switchboard")
                path.othersApplied = { [unowned self] outcome in heard.withLock { $0.append(Self.describe(outcome)) } }
                let snapshots = ClusterSnapshots(link: rig.connection, keyPrefix: "switchboard")
                if let snapshotEvery {
                    path.snapshots = snapshots
                    path.snapshotEvery = snapshotEvery
                }
                requests.start()
                guard fromSnapshot else {
                    log.start()
                    path.start()
                    return
                }
                snapshots.load { [self] result in
                    if case .success(let snapshot?) = result { try! path.restore(snapshot) }
                    log.start()
                    path.start()
                }
            }
            _ = LinkRig.wait { self.on { _ in self.requests.link.state == .up } }
        }

        /// Runs `body` on the node's loop and returns what it gave (`perform` waits for it).
        func on<T>(_ body: @escaping (Node) -> T) -> T {
            let box = Box<T>()
            nonisolated(unsafe) let body = body
            rig.perform { [self] _ in box.value = body(self) }
            return box.value!
        }

        func submit(_ command: CenterCommand) {
            rig.perform { [self] _ in
                path.submit(command) { [unowned self] outcome in outcomes.withLock { $0.append(Self.describe(outcome)) } }
            }
        }

        func waitForOutcomes(_ count: Int) -> [String] {
            _ = LinkRig.wait { outcomes.withLock { $0.count >= count } }
            return outcomes.withLock { $0 }
        }

        var state: [String] { on { $0.replica.engine.canonicalState() } }
        var appliedRecords: UInt64 { on { $0.path.appliedRecords } }

        static func describe(_ outcome: CommandOutcome) -> String {
            switch outcome {
            case .refused(let error): "refused \(error.code)"
            case .applied(let notices, let created): "applied \(notices.count) \(created.map { "\($0)" } ?? "-")"
            }
        }

        func stop() {
            rig.perform { [self] _ in log.stop(); requests.close() }
            rig.stop()
        }
    }

    @Test func commandsAskedOnEitherNodeGoThroughTheHolderAndBothReplicasAgree() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port, identity: "east@1")
        let west = try Node(port: server.port, identity: "west@1")
        defer { east.stop(); west.stop() }
        east.on { $0.lease.heldEpoch = 1; $0.lease.holderIdentity = "east@1" }
        west.on { $0.lease.holderIdentity = "east@1" }
        east.rig.send([RedisCommand("SET", "switchboard:lease", "east@1 1")])
        _ = east.rig.waitForReplies(1)

        // An agent on the holder goes available; a customer on the other node arrives.
        east.submit(.setStatus(AgentID(0), .available))
        west.submit(.customerArrives(ContactRequest(queue: QueueID(0))))
        west.submit(.customerArrives(ContactRequest(queue: QueueID(1))))
        west.submit(.acceptOffer(OfferID(99), by: AgentID(1)))  // refused the same on every replica
        #expect(east.waitForOutcomes(1).count == 1)
        let westOutcomes = west.waitForOutcomes(3)
        #expect(westOutcomes.count == 3)
        #expect(westOutcomes[0].hasPrefix("applied") && westOutcomes[0].contains("contact"))
        #expect(westOutcomes[2] == "refused unknown_offer")
        _ = LinkRig.wait { east.appliedRecords == 4 && west.appliedRecords == 4 }
        #expect(east.heard.withLock { $0.count } == 3, "the holder heard the other node's three commands")
        #expect(west.heard.withLock { $0.count } == 1)
        #expect(east.state == west.state, "both replicas hold the same centre")
        #expect(east.on { $0.replica.engine.agent(AgentID(0))!.conversations.count } == 2, "both customers went to the available agent")

        // The lease moves to west; east's commands now go to west.
        east.rig.send([RedisCommand("SET", "switchboard:lease", "west@1 2")])
        _ = east.rig.waitForReplies(1)
        east.on { $0.lease.heldEpoch = nil; $0.lease.holderIdentity = "west@1" }
        west.on { $0.lease.heldEpoch = 2; $0.lease.holderIdentity = "west@1" }
        east.submit(.setStatus(AgentID(1), .available))
        #expect(east.waitForOutcomes(2).count == 2)
        _ = LinkRig.wait { east.appliedRecords == 5 && west.appliedRecords == 5 }
        #expect(east.state == west.state)
    }

    /// The holder stores a snapshot every `snapshotEvery` entries and trims the log to
    /// the one before; a node that starts later restores the latest and reads on from
    /// it, agreeing with the others on every later decision; a repeat of a request
    /// from before the snapshot is skipped by it too.
    @Test func aNodeStartsFromTheLatestSnapshotAndTheLogIsTrimmedBehindIt() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port, identity: "east@1", snapshotEvery: 10)
        let west = try Node(port: server.port, identity: "west@1")
        defer { east.stop(); west.stop() }
        for node in [east, west] { node.on { $0.lease.holderIdentity = "east@1" } }
        east.on { $0.lease.heldEpoch = 1 }
        east.rig.send([RedisCommand("SET", "switchboard:lease", "east@1 1")])
        _ = east.rig.waitForReplies(1)

        east.submit(.setStatus(AgentID(0), .available))
        east.submit(.setStatus(AgentID(1), .available))
        // Three rounds of eleven, each read before the next is sent: a snapshot is due
        // once per round whichever way the reads batch the entries (on a busy machine
        // one read can bring all 35, and then only one snapshot is due).
        for round in 1...3 {
            for i in 0..<11 { west.submit(.customerArrives(ContactRequest(queue: QueueID(Int32(i % 2))))) }
            _ = west.waitForOutcomes(11 * round)
            let records = UInt64(2 + 11 * round)
            _ = LinkRig.wait { east.appliedRecords == records && west.appliedRecords == records }
            #expect(LinkRig.wait { east.on { $0.path.snapshotsWritten } == UInt64(round) }, "one snapshot in round \(round)")
        }
        #expect(east.on { $0.path.snapshotNumber } >= 30, "snapshots every 10 entries")

        // The log keeps the entries from the snapshot before the latest one on.
        east.rig.send([RedisCommand("XLEN", "switchboard:log"), RedisCommand("HGET", "switchboard:snapshot", "number")])
        let replies = east.rig.waitForReplies(2)
        let length = try #require(try replies[0].get().integer)
        let latest = try #require(try replies[1].get().text.flatMap { Int64($0) })
        #expect(latest == east.on { $0.path.snapshotNumber })
        #expect(length < 35 && length >= 35 - latest + 1, "log of \(length) entries with a snapshot at \(latest)")

        let north = try Node(port: server.port, identity: "north@1", fromSnapshot: true)
        defer { north.stop() }
        north.on { $0.lease.holderIdentity = "east@1" }
        _ = LinkRig.wait { north.appliedRecords == UInt64(35 - latest) }
        #expect(north.appliedRecords == UInt64(35 - latest), "only the entries after the snapshot were applied")
        #expect(north.state == east.state, "the restored replica holds the same centre")

        // Later decisions agree, and a request from before the snapshot, sent again, is
        // skipped by the restored node as by the others.
        north.submit(.customerArrives(ContactRequest(queue: QueueID(0))))
        north.submit(.endConversation(ConversationID(1 << 32), by: AgentID(0)))
        _ = north.waitForOutcomes(2)
        let skipped = east.on { $0.path.skippedRepeats }
        let again = try LogEnvelope(instance: "west@1", request: 1, command: .customerArrives(ContactRequest(queue: QueueID(0)))).encoded()
        east.rig.send([RedisCommand("EVAL", CommandLog.fencedAppend.source, 4, "switchboard:lease", "switchboard:log",
                                    "switchboard:log-time", "switchboard:log-count", "east@1 1", 1, again)])
        _ = east.rig.waitForReplies(1)
        _ = LinkRig.wait { east.appliedRecords == 38 && north.appliedRecords == UInt64(38 - latest) }
        #expect(east.on { $0.path.skippedRepeats } == skipped + 1)
        #expect(north.on { $0.path.skippedRepeats } == 1, "the restored node skipped the repeat too")
        #expect(north.state == east.state && west.state == east.state)
    }

    /// A lost process's parties: the holder logs the loss once, and every replica
    /// disconnects exactly the customers and agents that process still holds at that
    /// entry — not a customer that resumed through another process before it — so their
    /// grace periods run; the holder writes (its continuation hears the outcomes).
    @Test func aLostInstancesPartiesAreDisconnectedOnEveryReplica() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port, identity: "east@1")
        let west = try Node(port: server.port, identity: "west@1")
        defer { east.stop(); west.stop() }
        for node in [east, west] { node.on { $0.lease.holderIdentity = "east@1" } }
        east.on { $0.lease.heldEpoch = 1 }
        east.rig.send([RedisCommand("SET", "switchboard:lease", "east@1 1")])
        _ = east.rig.waitForReplies(1)
        let heardByHolder = Mutex<[String]>([])
        east.on { node in node.path.partiesLost = { command, _, writer in heardByHolder.withLock { $0.append("\(command) \(writer)") } } }

        // Through west: an agent on duty but away, and three customers waiting.
        west.submit(.setStatus(AgentID(1), .away))
        for _ in 0..<3 { west.submit(.customerArrives(ContactRequest(queue: QueueID(0)))) }
        _ = west.waitForOutcomes(4)
        let contacts = west.on { node in node.replica.engine.waitingContacts(in: LineID(queue: QueueID(0), channel: .chat)) }
        #expect(contacts.count == 3)
        // The second customer resumed through east before west was lost.
        east.submit(.customerReconnected(contacts[1]))
        _ = east.waitForOutcomes(1)
        _ = LinkRig.wait { east.appliedRecords == 5 && west.appliedRecords == 5 }
        #expect(east.on { $0.path.customerIsElsewhere(contacts[0]) } && !east.on { $0.path.customerIsElsewhere(contacts[1]) })
        #expect(west.on { $0.path.agentIsElsewhere(AgentID(1)) } == false && east.on { $0.path.agentIsElsewhere(AgentID(1)) })

        east.on { node in
            node.path.disconnectParties(of: "west@1")
            node.path.disconnectParties(of: "west@1")  // asked once while on its way
        }
        _ = LinkRig.wait { east.appliedRecords == 6 && west.appliedRecords == 6 }
        usleep(100_000)
        #expect(east.appliedRecords == 6)
        for node in [east, west] {
            node.on { node in
                let engine = node.replica.engine
                #expect(engine.contact(contacts[0])?.disconnectedAt != nil)
                #expect(engine.contact(contacts[1])?.disconnectedAt == nil, "resumed elsewhere first: untouched")
                #expect(engine.contact(contacts[2])?.disconnectedAt != nil)
                #expect(engine.agent(AgentID(1))?.droppedAt != nil)
                #expect(node.path.parties.instances == ["east@1"])
            }
        }
        #expect(east.state == west.state)
        #expect(heardByHolder.withLock { $0 } == ["customerDisconnected(contact#\(contacts[0].rawValue)) true",
                                                  "customerDisconnected(contact#\(contacts[2].rawValue)) true",
                                                  "agentDisconnected(agent#1) true"])
        #expect(east.on { $0.path.lostAsked.isEmpty })
    }

    @Test func aHolderWhoseLeaseMovedCannotAppendAndItsRequestGoesToTheNewOne() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port, identity: "east@1")
        let west = try Node(port: server.port, identity: "west@1")
        defer { east.stop(); west.stop() }
        // Redis says west holds the lease at epoch 2; east still believes it holds epoch 1.
        east.rig.send([RedisCommand("SET", "switchboard:lease", "west@1 2")])
        _ = east.rig.waitForReplies(1)
        east.on { $0.lease.heldEpoch = 1; $0.lease.holderIdentity = "east@1" }
        west.on { $0.lease.heldEpoch = 2; $0.lease.holderIdentity = "west@1" }
        east.submit(.setStatus(AgentID(0), .available))
        usleep(300_000)
        #expect(east.outcomes.withLock { $0.isEmpty }, "fenced: nothing appended under the old epoch")
        #expect(east.appliedRecords == 0 && west.appliedRecords == 0)
        // East learns of the move; its request is sent again, to west, and applied once.
        east.on { $0.lease.heldEpoch = nil; $0.lease.holderIdentity = "west@1" }
        #expect(east.waitForOutcomes(1).first?.hasPrefix("applied") == true)
        _ = LinkRig.wait { west.appliedRecords >= 1 }
        usleep(1_200_000)  // a second resend would have happened by now
        #expect(east.appliedRecords == 1 && west.appliedRecords == 1)
        #expect(east.state == west.state)
    }

    @Test func aRequestThatReachesTheLogTwiceIsAppliedOnce() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port, identity: "east@1")
        defer { east.stop() }
        east.rig.send([RedisCommand("SET", "switchboard:lease", "east@1 1")])
        _ = east.rig.waitForReplies(1)
        let envelope = try LogEnvelope(instance: "west@1", request: 7, command: .setStatus(AgentID(0), .available)).encoded()
        east.rig.send([RedisCommand("EVAL", CommandLog.fencedAppend.source, 4, "switchboard:lease", "switchboard:log",
                                    "switchboard:log-time", "switchboard:log-count", "east@1 1", 1, envelope, envelope)])
        _ = east.rig.waitForReplies(1)
        _ = LinkRig.wait { east.appliedRecords == 2 }
        #expect(east.on { $0.path.skippedRepeats } == 1)
        #expect(east.heard.withLock { $0.count } == 1, "west's request was applied once")
    }

    @Test func aRequestNoHolderTakesIsGivenUpAsUnavailable() throws {
        let server = try RedisServer()
        let east = try Node(port: server.port, identity: "east@1")
        defer { east.stop() }
        // Nobody holds the lease (Redis reachable, but no holder known).
        east.on { $0.path.giveUpAfter = 400_000_000 }
        east.submit(.setStatus(AgentID(0), .available))
        #expect(east.waitForOutcomes(1) == ["refused unavailable"])
        #expect(east.on { $0.path.gaveUp } == 1 && east.on { $0.path.waiting } == 0)
    }

    @Test func anEnvelopeRoundTripsAndRefusesDamage() throws {
        let envelope = LogEnvelope(instance: "east@k3x", request: 42, command: .rate(ConversationID(3), by: ContactID(4), score: 5, comment: "친절해요"))
        let bytes = try envelope.encoded()
        #expect(try LogEnvelope(decoding: bytes) == envelope)
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(decoding: Array(bytes.prefix(12))) }
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(decoding: [3] + bytes.dropFirst()) }
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(decoding: bytes + [0]) }
        let lost = LogEnvelope(instance: "east@k3x", request: 43, body: .instanceLost("west@9z"))
        let lostBytes = try lost.encoded()
        #expect(try LogEnvelope(decoding: lostBytes) == lost && lost.command == nil)
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(decoding: Array(lostBytes.dropLast())) }
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(decoding: lostBytes + [0]) }
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(instance: String(repeating: "n", count: 201), request: 1, command: .fireDueTimers).encoded() }
    }
}

/// A value handed back from a loop's thread; `LinkRig.perform` orders the accesses.
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
