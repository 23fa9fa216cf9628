import Testing
import ChatCore

/// Replicas fed the same log agree: on every entry's outcome (notices, ids made,
/// refusals) and on the whole state and every statistics figure at the end, whether
/// the log reached them as values or as bytes. And time in a replica comes from the
/// log only.
struct CenterReplicaTests {
    static let seedsPerBatch: UInt64 = 50
    static let logLength = 300

    /// 2 routing modes × 4 batches × 50 seeds: 400 logs of 300 entries.
    @Test(arguments: [false, true], 0..<4)
    func replicasFedTheSameLogTakeTheSameDecisions(offerMode: Bool, batch: Int) throws {
        let configuration = CommandLogGenerator.configuration(offerMode: offerMode)
        var tally: [String: Int] = [:]
        var backward = 0
        for seed in UInt64(batch) * Self.seedsPerBatch ..< UInt64(batch + 1) * Self.seedsPerBatch {
            let log = try CommandLogGenerator(seed: seed, configuration: configuration, count: Self.logLength)
            backward += log.backwardEntries
            let first = try ObservedReplica(configuration: configuration, start: log.start)
            let second = try ObservedReplica(configuration: configuration, start: log.start)
            let fromBytes = try ObservedReplica(configuration: configuration, start: log.start)
            let decoded = try log.entries.map { entry throws(CommandLogError) in
                try LoggedCommand(decoding: try entry.encoded())
            }
            #expect(decoded == log.entries, "seed \(seed): the log changed on its way through bytes")

            for i in log.entries.indices {
                let a = first.apply(log.entries[i])
                let b = second.apply(log.entries[i])
                let c = fromBytes.apply(decoded[i])
                guard a == log.outcomes[i], b == a, c == a else {
                    Issue.record("seed \(seed), entry \(i) \(log.entries[i]):\n\(log.outcomes[i])\n\(a)\n\(b)\n\(c)")
                    return
                }
                count(a, into: &tally)
                // Routing is settled once the due timers have run (before, an ended
                // re-offer delay may still keep a contact from an agent with room).
                if log.entries[i].command == .fireDueTimers {
                    let problems = first.replica.engine.invariantViolations()
                    guard problems.isEmpty else {
                        Issue.record("seed \(seed), entry \(i): \(problems)")
                        return
                    }
                }
            }
            let state = first.describe()
            expectSame(state, second.describe(), "seed \(seed), second replica")
            expectSame(state, fromBytes.describe(), "seed \(seed), replica fed bytes")
            expectSame(first.replica.engine.canonicalState(), log.scratch.engine.canonicalState(), "seed \(seed), writer")
        }
        // The logs reached what is worth agreeing on.
        #expect(backward > 0)
        var expected = ["assigned", "transferred", "returnedToQueue", "leaveMessageOffered", "faqSuggested", "answered",
                        "conversationEnded", "rated", "lineChanged", "messageStored", "messageDelivered", "agentStatusChanged",
                        "closed-out closed", "closed-out unattended",
                        "refused unknown_agent", "refused unknown_contact", "refused unknown_conversation",
                        "refused not_assigned", "refused queue_full", "refused invalid_state", "refused empty_message",
                        "refused message_too_long", "refused comment_too_long", "refused already_rated",
                        "refused invalid_rating", "refused invalid_channel", "refused unknown_queue",
                        "refused duplicate_agent", "refused invalid_configuration"]
        if offerMode { expected += ["offered", "offerWithdrawn", "refused unknown_offer", "refused not_offered"] }
        for kind in expected { #expect(tally[kind, default: 0] > 0, "no \(kind) in \(tally.sorted { $0.key < $1.key })") }
    }

    /// The same log replays to the same digest in every process (Swift seeds hashing
    /// anew in each, so a decision that followed a Dictionary's or Set's order would
    /// move it). A change here also means that nodes built before and after the change
    /// would disagree on a shared log: record the new digest only on purpose.
    @Test func aRecordedLogStillReplaysToTheSameDigest() throws {
        let configuration = CommandLogGenerator.configuration(offerMode: true)
        let log = try CommandLogGenerator(seed: 20_250_109, configuration: configuration, count: Self.logLength)
        let replica = try ObservedReplica(configuration: configuration, start: log.start)
        var digest = FNV1a()
        for entry in log.entries {
            digest.add("\(replica.apply(entry))")
        }
        for line in replica.describe() { digest.add(line) }
        #expect(digest.value == Self.recordedDigest, "digest \(String(digest.value, radix: 16))")
    }

    static let recordedDigest: UInt64 = 0xd582_fd0d_5800_7ce5  // 2026-12-07: contacts keep reply_to (left messages)

    @Test func anEntryStampedBeforeThePreviousOneIsAppliedAtThePreviousOnesTimes() throws {
        let replica = try CenterReplica(at: Instant(milliseconds: 1_000), wall: WallTime(millisecondsSince1970: 10_000))
        let kim = try #require(replica.apply(entry(2_000, 20_000, .addAgent(
            AgentProfile(handle: "kim", displayName: "Kim", skills: [QueueID(0)])))).createdAgent)
        replica.apply(entry(3_000, 30_000, .setStatus(kim, .available)))

        let late = replica.apply(entry(2_500, 99_000, .customerArrives(ContactRequest(queue: QueueID(0)))))

        #expect(replica.now == Instant(milliseconds: 3_000))
        #expect(replica.wallNow == WallTime(millisecondsSince1970: 30_000))
        let lateID = try #require(late.createdContact)
        let contact = try #require(replica.engine.contact(lateID))
        #expect(contact.arrivedAt == Instant(milliseconds: 3_000))
        #expect(contact.assignedAt == Instant(milliseconds: 3_000))
        // The next entry in order moves time on from there.
        replica.apply(entry(4_000, 40_000, .fireDueTimers))
        #expect(replica.now == Instant(milliseconds: 4_000))
        #expect(replica.wallNow == WallTime(millisecondsSince1970: 40_000))
    }

    @Test func anEntryBeforeTheStartIsAppliedAtTheStart() throws {
        let replica = try CenterReplica(at: Instant(milliseconds: 1_000), wall: WallTime(millisecondsSince1970: 10_000))
        let outcome = replica.apply(entry(0, 0, .customerArrives(ContactRequest(queue: QueueID(0)))))
        let id = try #require(outcome.createdContact)
        let contact = try #require(replica.engine.contact(id))
        #expect(contact.arrivedAt == Instant(milliseconds: 1_000))
        #expect(replica.wallNow == WallTime(millisecondsSince1970: 10_000))
    }

    @Test func theWallClockMayStepBackWhileMonotonicTimeMovesOn() throws {
        let replica = try CenterReplica(at: Instant(milliseconds: 1_000), wall: WallTime(millisecondsSince1970: 50_000))
        replica.apply(entry(2_000, 40_000, .fireDueTimers))
        #expect(replica.now == Instant(milliseconds: 2_000))
        #expect(replica.wallNow == WallTime(millisecondsSince1970: 40_000))
    }

    /// A replica never fires a timer by itself: an offer past its timeout is still open
    /// (and may be accepted) until the log says `fireDueTimers`.
    @Test func timersRunOnlyWhenTheLogSaysSo() throws {
        var configuration = CenterConfiguration()
        configuration.routing = .offer(timeout: .seconds(10))
        let replica = try CenterReplica(configuration: configuration)
        let kim = try #require(replica.apply(entry(0, 0, .addAgent(
            AgentProfile(handle: "kim", displayName: "Kim", skills: [QueueID(0)])))).createdAgent)
        replica.apply(entry(0, 0, .setStatus(kim, .available)))
        let arrival = replica.apply(entry(1_000, 1_000, .customerArrives(ContactRequest(queue: QueueID(0)))))
        let offer = try #require(arrival.notices.compactMap { if case .offered(let o) = $0 { o } else { nil } }.first)
        #expect(replica.engine.nextDeadline == Instant(milliseconds: 11_000))

        replica.apply(entry(30_000, 30_000, .agentReplied(in: ConversationID(1), by: kim)))  // refused; time moves
        #expect(replica.engine.offer(offer.id) != nil)

        let fired = replica.apply(entry(30_000, 30_000, .fireDueTimers))
        #expect(fired.notices.contains(.offerWithdrawn(offer, .expired)))
        #expect(replica.engine.offer(offer.id) == nil)
    }

    @Test func entriesAreCounted() throws {
        let replica = try CenterReplica()
        let outcomes = replica.apply([entry(0, 0, .fireDueTimers), entry(1, 1, .customerLeaves(ContactID(9)))])
        #expect(replica.appliedCount == 2)
        #expect(outcomes == [.applied(notices: [], created: nil), .refused(.unknownContact)])
    }

    // MARK: - Helpers

    private func entry(_ at: Int64, _ wall: Int64, _ command: CenterCommand) -> LoggedCommand {
        LoggedCommand(at: Instant(milliseconds: at), wall: WallTime(millisecondsSince1970: wall), command: command)
    }

    private func count(_ outcome: CommandOutcome, into tally: inout [String: Int]) {
        if let error = outcome.error { tally["refused \(error.code)", default: 0] += 1 }
        for notice in outcome.notices {
            tally[String(String(describing: notice).prefix { $0 != "(" }), default: 0] += 1
            if case .leaveMessageOffered(_, let reason) = notice { tally["closed-out \(reason)", default: 0] += 1 }
        }
    }

    /// Reports the first line that differs, not two walls of text.
    private func expectSame(_ a: [String], _ b: [String], _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        guard a != b else { return }
        if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("\(what): line \(i) differs:\n\(a[i])\n\(b[i])", sourceLocation: sourceLocation)
        } else {
            Issue.record("\(what): \(a.count) lines against \(b.count)", sourceLocation: sourceLocation)
        }
    }
}

/// 64-bit FNV-1a over UTF-8, for digests that must not depend on the process (unlike
/// `Hasher`). A plain value.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
        value ^= 0x0A
        value &*= 0x0000_0100_0000_01b3
    }
}
