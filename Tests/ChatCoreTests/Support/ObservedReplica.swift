import ChatCore
import Foundation

/// A `CenterReplica` whose every outcome feeds a `WaitStatistics`, as a node's domain
/// thread would feed its own (notices, then the log's time): two of them fed the same
/// log must agree on the engine's whole state and on every published figure. One per
/// replay, on the test's thread.
final class ObservedReplica {
    let replica: CenterReplica
    private(set) var stats: WaitStatistics

    init(configuration: CenterConfiguration, start: (at: Instant, wall: WallTime)) throws {
        replica = try CenterReplica(configuration: configuration, at: start.at, wall: start.wall)
        stats = WaitStatistics(center: replica.engine)
    }

    /// Takes `other`'s place in its log: its centre (through `CenterSnapshot`) and its
    /// statistics, both through JSON, as a cluster node restores a snapshot.
    func restore(from other: ObservedReplica) throws {
        let centre = try JSONEncoder().encode(other.replica.engine.snapshot())
        try replica.restore(try JSONDecoder().decode(CenterSnapshot.self, from: centre), applied: other.replica.appliedCount)
        stats = try JSONDecoder().decode(WaitStatistics.self, from: try JSONEncoder().encode(other.stats))
    }

    @discardableResult
    func apply(_ entry: LoggedCommand) -> CommandOutcome {
        let outcome = replica.apply(entry)
        stats.observe(outcome.notices, in: replica.engine)
        stats.advance(to: replica.now)
        return outcome
    }

    /// The engine's canonical state, then the statistics' figures at the last entry's
    /// time: per line (run and window, patience, estimates), agent load, the phone
    /// comparison per queue and for the center, and the recent shadow comparisons.
    func describe() -> [String] {
        var out = replica.engine.canonicalState()
        let now = replica.now
        let queues = replica.engine.queues.indices.map { QueueID(Int32($0)) }
        for queue in queues {
            for channel in [Channel.chat, .voice] {
                let line = LineID(queue: queue, channel: channel)
                let figures = stats.figures(for: line, at: now)
                out.append("figures \(line) run \(figures.run) window \(figures.window)")
                out.append("patience \(line) \(stats.patience(for: line))")
                let waits = stats.estimatedWaits(waitedMs: [0, 15_000, 90_000], in: line, slots: 3, at: now)
                out.append("estimates \(line) \(waits)")
            }
            out.append("status \(String(describing: replica.engine.status(of: queue)))")
        }
        let load = stats.agentLoad(at: now)
        out.append("load \(load.now) \(load.run) \(load.window)")
        for queue in [nil] + queues.map(Optional.some) {
            let p = stats.phone(for: queue, at: now)
            out.append("phone \(String(describing: queue)) \(p.arrivalsPerHour) \(String(describing: p.meanHandleMs)) "
                       + "\(p.agentsOnDuty) \(String(describing: p.erlangC)) \(String(describing: p.erlangA)) "
                       + "shadow \(p.shadow.run.wait.count)/\(p.shadow.run.withinThreshold)/\(p.shadow.run.abandoned) "
                       + "window \(p.shadow.window.wait.count) pending \(p.shadowPending) \(p.patience)")
        }
        out.append("comparisons \(stats.recentComparisons)")
        out.append("tracked \(stats.trackedCount)")
        return out
    }
}
