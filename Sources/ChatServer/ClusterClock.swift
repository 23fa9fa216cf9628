import ChatCore

/// A cluster node's "now" on the log's timeline (protocol/cluster.md, "The command
/// path"): the command log's times are Redis's clock (milliseconds since 1970), and a
/// replica's clock stands still at the last entry's time; this clock runs on between
/// entries. It is this host's clock moved by the offset to Redis's that the heartbeats
/// measure, never earlier than the last entry applied and never going backwards. The
/// desk reads it for timestamps, grace periods and when the timers are due. Domain
/// thread only.
final class ClusterClock: Clock {
    private let replica: CenterReplica
    private let host = SystemClock()
    /// Redis's clock minus this host's, in milliseconds (from the last heartbeat).
    var offsetMilliseconds: Int64 = 0
    private var last: Int64 = 0

    init(replica: CenterReplica) {
        self.replica = replica
    }

    var now: Instant {
        let estimate = host.wallNow.millisecondsSince1970 &+ offsetMilliseconds
        last = max(last, estimate, replica.now.milliseconds)
        return Instant(milliseconds: last)
    }

    var wallNow: WallTime { WallTime(millisecondsSince1970: now.milliseconds) }
}
