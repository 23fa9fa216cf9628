import Foundation
import Testing
@testable import ChatCore

/// A replica restored from a snapshot taken anywhere in a log, and fed the rest of the
/// log, takes the same decisions as one that applied the whole log: the snapshot is how
/// a cluster node starts without replaying a trimmed log (protocol/cluster.md).
struct CenterSnapshotTests {
    /// 2 routing modes × 60 seeds, each cut at a random entry; through JSON as a node
    /// does. The wait statistics travel with the centre, so every figure agrees too.
    @Test(arguments: [false, true])
    func aRestoredReplicaDecidesAsOneThatAppliedTheWholeLog(offerMode: Bool) throws {
        let configuration = CommandLogGenerator.configuration(offerMode: offerMode)
        for seed: UInt64 in 0..<60 {
            let log = try CommandLogGenerator(seed: seed, configuration: configuration, count: 300)
            let cut = Int(seed * 7_919 % UInt64(log.entries.count))
            let whole = try ObservedReplica(configuration: configuration, start: log.start)
            for entry in log.entries[..<cut] { whole.apply(entry) }

            let restored = try ObservedReplica(configuration: configuration, start: log.start)
            try restored.restore(from: whole)
            #expect(restored.replica.appliedCount == cut)
            #expect(restored.replica.now == whole.replica.now && restored.replica.wallNow == whole.replica.wallNow)
            guard restored.describe() == whole.describe() else {
                Issue.record("seed \(seed): the restored state differs at entry \(cut)")
                return
            }
            for i in cut..<log.entries.count {
                let a = whole.apply(log.entries[i])
                let b = restored.apply(log.entries[i])
                guard a == b, a == log.outcomes[i] else {
                    Issue.record("seed \(seed), entry \(i) after a cut at \(cut): \(a) against \(b)")
                    return
                }
            }
            #expect(restored.describe() == whole.describe(), "seed \(seed)")
            #expect(restored.replica.engine.nextDeadline == whole.replica.engine.nextDeadline, "seed \(seed)")
        }
    }

    @Test func aSnapshotOfOtherQueuesIsRefusedAndChangesNothing() throws {
        let configuration = CommandLogGenerator.configuration(offerMode: false)
        let log = try CommandLogGenerator(seed: 3, configuration: configuration, count: 100)
        let source = try CenterReplica(configuration: configuration, at: log.start.at, wall: log.start.wall)
        for entry in log.entries { source.apply(entry) }
        var other = configuration
        other.queues = Array(other.queues.prefix(2))
        let target = try CenterReplica(configuration: other)
        let before = target.engine.canonicalState()
        #expect(throws: ChatError.self) { try target.restore(source.engine.snapshot(), applied: 100) }
        #expect(target.engine.canonicalState() == before)
        #expect(target.appliedCount == 0)
    }
}
