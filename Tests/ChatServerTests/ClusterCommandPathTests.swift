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

        init(port: UInt16, identity: String) throws {
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
                requests.start()
                log.start()
                path.start()
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
        east.rig.send([RedisCommand("EVAL", CommandLog.fencedAppend.source, 3, "switchboard:lease", "switchboard:log",
                                    "switchboard:log-time", "east@1 1", 1, envelope, envelope)])
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
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(decoding: [2] + bytes.dropFirst()) }
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(decoding: bytes + [0]) }
        #expect(throws: CommandLogError.self) { _ = try LogEnvelope(instance: String(repeating: "n", count: 201), request: 1, command: .fireDueTimers).encoded() }
    }
}

/// A value handed back from a loop's thread; `LinkRig.perform` orders the accesses.
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
