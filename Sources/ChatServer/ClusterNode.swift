import ChatCore
import EventLoop
import Redis
import RedisClient

/// This broker as a node of a cluster (protocol/cluster.md): its membership and lease,
/// the command log, the replica of the centre the desk reads, the command path the desk
/// changes it through, and the clock on the log's timeline. Made on the main thread
/// before any loop runs; from `start` on, touched on the domain loop only.
final class ClusterNode {
    let membership: ClusterMembership
    let replica: CenterReplica
    let log: CommandLog
    let requests: RedisSubscription
    let path: ClusterCommandPath
    let clock: ClusterClock

    init(loop: EventLoop, configuration: BrokerConfiguration, address: RedisAddress, status: ClusterStatus,
         advertisedAddress: @escaping @Sendable () -> String) throws(ChatError) {
        let cluster = configuration.cluster
        membership = ClusterMembership(loop: loop, configuration: cluster, address: address, status: status,
                                       advertisedAddress: advertisedAddress)
        // Every node starts from the same configuration: the same centre before the log.
        replica = try CenterReplica(configuration: configuration.center)
        log = CommandLog(loop: loop, address: address, keyPrefix: cluster.keyPrefix, writer: membership.link)
        requests = RedisSubscription(loop: loop, address: address)
        path = ClusterCommandPath(loop: loop, replica: replica, log: log, lease: membership, link: membership.link,
                                  requests: requests, keyPrefix: cluster.keyPrefix)
        clock = ClusterClock(replica: replica)
        membership.offsetMeasured = { [clock] offset in clock.offsetMilliseconds = offset }
    }

    /// Joins: heartbeats, the request channel, reading the log from its start.
    func start(desk: ServiceDesk) {
        // Other nodes' commands: tell the clients connected here what they mean for them.
        path.othersApplied = { [unowned desk] outcome in desk.apply(outcome.notices) }
        membership.start()
        requests.start()
        log.start()
        path.start()
    }

    func stop() {
        log.stop()
        requests.close()
        membership.stop()
    }
}
