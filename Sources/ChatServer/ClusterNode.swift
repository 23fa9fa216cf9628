import ChatCore
import EventLoop
import Posix
import Redis
import RedisClient
#if canImport(Glibc)
import Glibc
#endif

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
    let snapshots: ClusterSnapshots
    private let counts: ClusterCounts
    /// Conversation events between nodes, on links of their own (off the log's).
    let relay: ConversationRelay
    private let relayLink: RedisConnection
    private let relayEvents: RedisSubscription
    private let loop: EventLoop
    private let generationKey: String
    private let status: ClusterStatus
    private var stopped = false
    /// Nil until the generation is known; then when the last ask was sent (monotonic ns).
    private var generationAskedAt: UInt64?
    private var generationKnown = false
    /// Nil until the generation is known; then when the snapshot was last asked for,
    /// until it is loaded (or found absent) and the log is being read.
    private var snapshotAskedAt: UInt64?
    private var reading = false
    private var logStarted = false
    /// Processes holding parties that the last beats did not show alive, and since when.
    private var suspects: [String: UInt64] = [:]
    /// Gives the desk the statistics a snapshot carried.
    private var statisticsRestored: ((WaitStatistics) -> Void)?
    private var lastRetry: UInt64 = 0

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
        snapshots = ClusterSnapshots(link: membership.link, keyPrefix: cluster.keyPrefix)
        // A node's counts are left out once it has been silent for three lease timeouts.
        counts = ClusterCounts(link: membership.link, keyPrefix: cluster.keyPrefix, node: cluster.nodeName,
                               freshMilliseconds: 3 * Int64(membership.leaseTimeoutNanoseconds / 1_000_000))
        path.snapshots = snapshots
        path.snapshotEvery = cluster.snapshotEvery
        membership.offsetMeasured = { [clock] offset in clock.offsetMilliseconds = offset }
        relayLink = RedisConnection(loop: loop, address: address)
        relayEvents = RedisSubscription(loop: loop, address: address)
        relay = ConversationRelay(link: relayLink, subscription: relayEvents, keyPrefix: cluster.keyPrefix,
                                  longestConversation: configuration.limits.maxEventsPerConversation)
        self.loop = loop
        generationKey = cluster.keyPrefix + ":generation"
        self.status = status
    }

    /// Joins: heartbeats, the request channel, the relay; then, once the cluster's
    /// generation is known (conversation ids carry it), reads the log from its start.
    func start(desk: ServiceDesk) {
        // Other nodes' commands: tell the clients connected here what they mean for them
        // (the events they make are written by the node whose command it was).
        path.othersApplied = { [unowned desk] outcome in desk.apply(outcome.notices, writer: false) }
        path.partiesLost = { [unowned desk] command, outcome, writer in desk.lost(command, outcome, writer: writer) }
        desk.attach(relay)
        path.statistics = { [unowned desk] in desk.stats }
        statisticsRestored = { [unowned desk] statistics in
            // Figures made with other settings would mislead: this node's start from empty.
            guard statistics.configuration == desk.stats.configuration else {
                Log.warning("cluster: the snapshot's statistics have other settings than this node's; not restored")
                return
            }
            desk.stats = statistics
        }
        desk.sharedSessions = SharedSessions(link: relayLink, keyPrefix: relay.keyPrefix)
        membership.start()
        requests.start()
        relayLink.start()
        relayEvents.start()
        learnGeneration(desk: desk, now: loop.now)
        loop.addTicker(TickAction { [weak self, unowned desk] now in
            guard let self, !stopped else { return }
            if now &- lastRetry >= 1_000_000_000 {
                lastRetry = now
                if logStarted {
                    watchForLostInstances(now: now)
                    desk.reclaimConnectedParties()
                }
                desk.sharedSessions?.retry()
                let (entry, snapshot) = (log.lastNumber, path.snapshotNumber)
                let repaired = desk.decisionEventsWritten
                let (batches, entries) = (relay.batchesPublished, relay.entriesPublished)
                status.figures.withLock {
                    $0.logEntry = entry; $0.snapshotEntry = snapshot; $0.decisionEventsWritten = repaired
                    $0.relayBatches = batches; $0.relayEntries = entries
                }
                let mine = NodeCounts(customers: desk.metrics.open(.customer), agents: desk.metrics.open(.agent),
                                      supervisors: desk.metrics.open(.supervisor), sessions: desk.sessions.count)
                counts.exchange(mine) { [status] total, nodes in
                    status.figures.withLock { $0.clusterCounts = total; $0.countedNodes = nodes }
                }
            }
            if !reading, let asked = snapshotAskedAt, now &- asked > 1_000_000_000 { loadSnapshot(now: now) }
            guard !generationKnown, let asked = generationAskedAt, now &- asked > 500_000_000 else { return }
            learnGeneration(desk: desk, now: now)
        })
        log.missing = { [unowned self] expected, found in entriesMissing(expected: expected, found: found) }
    }

    /// The cluster's generation: the first node of a fresh log sets it (its clock's
    /// seconds), every node takes it as its transcripts' boot number, so a conversation
    /// is `c-GENERATION-N` on every node. Asked again until Redis answers.
    private func learnGeneration(desk: ServiceDesk, now: UInt64) {
        generationAskedAt = now
        let proposal = UInt32(clamping: max(1, desk.wallNow.millisecondsSince1970 / 1_000))
        membership.link.send(RedisCommand("SET", generationKey, "\(proposal)", "NX", "GET")) { [weak self, unowned desk] result in
            guard let self, !stopped, !generationKnown, case .success(let reply) = result else { return }
            generationKnown = true
            let generation = reply.text.flatMap { UInt32($0) } ?? proposal
            desk.transcripts.adopt(boot: generation)
            loadSnapshot(now: loop.now)
        }
    }

    /// Starts from the latest snapshot, if there is one, then reads the log after it.
    /// Asked again each second until Redis answers; a snapshot this node cannot use
    /// (unreadable, or of other queues: a configuration that differs from the other
    /// nodes') is logged and asked for again, and the node does not read the log.
    private func loadSnapshot(now: UInt64) {
        snapshotAskedAt = now
        snapshots.load { [weak self] result in
            guard let self, !stopped, !reading else { return }
            switch result {
            case .failure(let failure):
                Log.warning("cluster: loading the latest snapshot failed: \(failure)")
                return
            case .success(nil) where logStarted:
                // Entries were missing, so a snapshot was stored; gone now? Asked again.
                Log.warning("cluster: the log's start was trimmed but no snapshot is stored")
                return
            case .success(nil):
                break
            case .success(let snapshot?):
                do {
                    try path.restore(snapshot)
                } catch {
                    Log.error("cluster: the snapshot at log entry \(snapshot.number) does not fit this node: \(error) "
                              + "(is its configuration the other nodes'?)")
                    return
                }
                if let statistics = snapshot.statistics { statisticsRestored?(statistics) }
                Log.info("cluster: started from the snapshot at log entry \(snapshot.number)")
            }
            reading = true
            // After missing entries the log is started already: `restore` resumed it.
            guard !logStarted else { return }
            logStarted = true
            log.start()
            path.start()
        }
    }

    /// The log lost entries this node had not read (trimmed behind a snapshot). Before
    /// it has applied any entry itself, the node starts again from the latest snapshot.
    /// After, its replica cannot catch up, and the node stops: restarted, it starts from
    /// the latest snapshot (protocol/cluster.md, "Snapshots").
    private func entriesMissing(expected: Int64, found: Int64) {
        if path.appliedRecords == 0 {
            reading = false
            loadSnapshot(now: loop.now)
            return
        }
        Log.error("cluster: this node fell behind the command log's trimmed start (it needs entry \(expected), "
                     + "the log now starts at \(found)) and stops; started again, it loads the latest snapshot")
        Glibc.exit(ClusterNode.fellBehindExitCode)
    }

    /// As the lease holder, once a second: a process that holds customers or agents (as
    /// the log says) and has not beaten for a lease timeout, or whose node beats with
    /// another instance now (restarted), is lost; its parties are disconnected through
    /// the log, so their grace periods run as when a connection drops on one node. A
    /// process is suspected from the first beat that misses it and lost a whole lease
    /// timeout later, so a process too new for the last beat is never taken for lost.
    private func watchForLostInstances(now: UInt64) {
        guard path.firesTimers, let live = membership.liveIdentities else {
            suspects.removeAll()
            return
        }
        let holding = path.parties.instances
        suspects = suspects.filter { holding.contains($0.key) }
        for instance in holding where instance != membership.identity {
            if live.contains(instance) {
                suspects[instance] = nil
                continue
            }
            let since = suspects[instance] ?? now
            suspects[instance] = since
            if now &- since >= membership.leaseTimeoutNanoseconds { path.disconnectParties(of: instance) }
        }
    }

    /// The exit status of a node that fell behind the trimmed log (EX_TEMPFAIL).
    static let fellBehindExitCode: Int32 = 75

    func stop() {
        stopped = true
        statisticsRestored = nil
        path.statistics = nil
        path.stop()
        relay.stop()
        log.stop()
        requests.close()
        relayEvents.close()
        relayLink.close()
        membership.stop()
    }
}
