import ChatCore
import DequeModule
import EventLoop
import Posix
import Redis
import RedisClient

/// What the command path needs to know of the routing lease (`ClusterMembership`).
protocol LeaseView: AnyObject {
    /// This process's lease identity, "node@instance".
    var identity: String { get }
    /// The epoch at which this node holds the lease now; nil when it does not.
    var heldEpoch: Int64? { get }
    /// Who holds the lease as last heard ("node@instance"), nil when nobody does.
    var holderIdentity: String? { get }
}

/// A cluster node's command path (protocol/cluster.md, "The command path"), on the
/// domain loop (its thread only).
///
/// A command submitted here is wrapped in a `LogEnvelope` (this instance and a request
/// number) and goes to the lease holder: appended to the log directly when this node
/// holds the lease (batched: one append in flight, the rest wait for it), else
/// published on the holder's request channel. Every node applies every log record to
/// its `CenterReplica`, in order, at the record's time. The outcome of this node's own
/// request goes to the request's continuation; the outcomes of other nodes' requests go
/// to `othersApplied`, so that the desk tells the clients connected here what the
/// decisions mean for them.
///
/// Delivery to the holder is at least once: a request not seen in the log within a
/// second is sent again (to whoever holds the lease then), and a request that reaches
/// the log twice is applied once — every replica skips the same repeat, so they stay
/// identical.
final class ClusterCommandPath: CommandPath {
    let loop: EventLoop
    let replica: CenterReplica
    let log: CommandLog
    let lease: any LeaseView
    private let link: RedisConnection
    private let requests: RedisSubscription
    private let keyPrefix: String

    private struct Pending {
        var envelope: [UInt8]
        var then: (CommandOutcome) -> Void
        var sentAt: UInt64
        var askedAt: UInt64
    }

    private var nextRequest: UInt64 = 1
    private var pending: [UInt64: Pending] = [:]
    private var toAppend: [[UInt8]] = []
    private var appending = false
    /// The requests applied lately, oldest first, and as a set: a repeat is skipped.
    private var appliedOrder: Deque<RequestKey> = []
    private var applied: Set<RequestKey> = []

    /// A request as the log names it: the asking instance and its number.
    private struct RequestKey: Hashable {
        var instance: String
        var request: UInt64
    }
    static let rememberedRequests = 100_000
    /// A request not yet in the log after this long is sent again.
    static let resendAfter: UInt64 = 1_000_000_000
    /// A request not in the log after this long is given up: its client hears
    /// `unavailable` (the link to Redis is down, or the lease is moving). A lease moves
    /// within its timeout (3 s by default), so this leaves room for one move.
    var giveUpAfter: UInt64 = 8_000_000_000

    /// Where snapshots go (nil: none are written), and after how many entries.
    var snapshots: ClusterSnapshots?
    var snapshotEvery: Int64 = 100_000
    /// The desk's wait statistics, which a snapshot carries with the centre.
    var statistics: (() -> WaitStatistics)?
    /// The log entry the latest snapshot this node wrote or restored ends at.
    private(set) var snapshotNumber: Int64 = 0
    private var snapshotting = false
    private var snapshotThread: PosixThread?
    private var stopped = false

    /// Who is connected through which instance, as the log says (ConnectedParties).
    private(set) var parties = ConnectedParties()
    /// Lost instances whose parties this node (the holder) has asked to disconnect.
    private(set) var lostAsked: Set<String> = []
    /// The outcomes of disconnecting a lost instance's parties, in log order; `writer`:
    /// this node asked for it, so it writes the events the decisions make.
    var partiesLost: ((_ command: CenterCommand, _ outcome: CommandOutcome, _ writer: Bool) -> Void)?

    /// Outcomes of commands other nodes asked for, in log order.
    var othersApplied: ((CommandOutcome) -> Void)?
    /// Records applied, and repeats skipped (for tests and /metrics).
    private(set) var appliedRecords: UInt64 = 0
    private(set) var skippedRepeats: UInt64 = 0
    /// Requests given up (their clients heard `unavailable`).
    private(set) var gaveUp: UInt64 = 0

    init(loop: EventLoop, replica: CenterReplica, log: CommandLog, lease: any LeaseView, link: RedisConnection,
         requests: RedisSubscription, keyPrefix: String) {
        self.loop = loop
        self.replica = replica
        self.log = log
        self.lease = lease
        self.link = link
        self.requests = requests
        self.keyPrefix = keyPrefix
        log.received = { [unowned self] records in apply(records) }
        requests.messageReceived = { [unowned self] _, payload in forwarded(payload) }
    }

    /// The channel on which the holder `identity` takes other nodes' requests.
    func requestChannel(_ identity: String) -> String { "\(keyPrefix):requests:\(identity)" }

    /// Starts listening for forwarded requests (they matter only while holding the lease).
    func start() {
        requests.subscribe(requestChannel(lease.identity))
        loop.addTicker(TickAction { [unowned self] now in tick(now: now) })
    }

    func submit(_ command: CenterCommand, _ then: @escaping (CommandOutcome) -> Void) {
        submit(.command(command), then)
    }

    /// As the holder: every party `instance` (a node's process that died or is cut off)
    /// still holds is to be disconnected, as its own node would on losing their
    /// connections. Asked once until it is in the log (or given up).
    func disconnectParties(of instance: String) {
        guard lostAsked.insert(instance).inserted else { return }
        Log.warning("cluster: \(instance) is lost: disconnecting the customers and agents connected through it")
        submit(.instanceLost(instance)) { [weak self] _ in self?.lostAsked.remove(instance) }
    }

    /// The number of the log entry being applied, while its outcome is told (nil between entries).
    private(set) var applyingEntry: Int64?

    func customerIsElsewhere(_ contact: ContactID) -> Bool { parties.customer(contact, isElsewhereThan: lease.identity) }

    func agentIsElsewhere(_ agent: AgentID) -> Bool { parties.agent(agent, isElsewhereThan: lease.identity) }

    private func submit(_ body: LogBody, _ then: @escaping (CommandOutcome) -> Void) {
        let number = nextRequest
        nextRequest += 1
        let envelope: [UInt8]
        do {
            envelope = try LogEnvelope(instance: lease.identity, request: number, body: body).encoded()
        } catch {
            // The glue checks lengths before it asks; reaching here is a bug, told as one.
            Log.error("cluster: a command that cannot be logged: \(error)")
            then(.refused(.invalidState("the command cannot be logged: \(error.reason)")))
            return
        }
        // The loop's time, as the tick sees it: a fresh clock reading would be ahead of the
        // tick's in this same iteration, and the age would wrap to centuries.
        let now = loop.now
        pending[number] = Pending(envelope: envelope, then: then, sentAt: now, askedAt: now)
        route(envelope)
    }

    /// Requests this node asked for that are not in the log yet.
    var waiting: Int { pending.count }

    var firesTimers: Bool { lease.heldEpoch != nil }

    /// Shutdown: forgets the requests not yet in the log. Their continuations hold the
    /// desk, which holds this path: kept, they would keep it all alive past the end.
    func stop() {
        stopped = true
        snapshotThread?.join()  // an encoding under way; its result is dropped
        snapshotThread = nil
        pending.removeAll()
        toAppend.removeAll()
        othersApplied = nil
        partiesLost = nil
    }

    // MARK: To the holder

    private func route(_ envelope: [UInt8]) {
        if lease.heldEpoch != nil {
            toAppend.append(envelope)
            appendWaiting()
        } else if let holder = lease.holderIdentity {
            link.send(RedisCommand("PUBLISH", requestChannel(holder), envelope)) { _ in }
        }
        // No holder known: the tick sends it again once there is one.
    }

    /// A request another node forwarded to this one as the holder.
    private func forwarded(_ envelope: [UInt8]) {
        // Not the holder (any more): dropped; its node sends it again to the next one.
        guard lease.heldEpoch != nil else { return }
        toAppend.append(envelope)
        appendWaiting()
    }

    private func appendWaiting() {
        guard !appending, !toAppend.isEmpty, let epoch = lease.heldEpoch else { return }
        let batch = toAppend
        toAppend.removeAll()
        appending = true
        log.append(batch, identity: lease.identity, epoch: epoch) { [unowned self] result in
            appending = false
            if case .failure(let failure) = result {
                // Fenced (the lease moved) or the link failed: whatever of ours was in
                // the batch is sent again by the tick; forwarded ones by their nodes.
                Log.warning("cluster: appending \(batch.count) commands failed: \(failure)")
            }
            appendWaiting()
        }
    }

    // MARK: Snapshots

    /// Starts from `snapshot` instead of the log's start: the replica takes its state,
    /// repeats of the requests it lists are skipped, and the log is read after it.
    /// Only before this node has applied an entry itself. Throws `invalid_configuration`
    /// when the snapshot is of another centre's queues.
    func restore(_ snapshot: ClusterSnapshot) throws(ChatError) {
        try replica.restore(snapshot.centre, applied: Int(clamping: snapshot.number))
        applied.removeAll()
        appliedOrder.removeAll()
        parties = ConnectedParties(lines: snapshot.parties ?? [])
        for text in snapshot.requests {
            guard let space = text.lastIndex(of: " "), let number = UInt64(text[text.index(after: space)...]) else { continue }
            let key = RequestKey(instance: String(text[..<space]), request: number)
            if applied.insert(key).inserted { appliedOrder.append(key) }
        }
        snapshotNumber = snapshot.number
        log.resume(after: snapshot.id, number: snapshot.number)
    }

    /// The holder writes a snapshot every `snapshotEvery` entries (one at a time). Every
    /// replica is the same at the same entry, so whoever writes it writes the same.
    /// The state is copied on the loop (values: the copy shares storage until the loop
    /// changes it) and encoded on a thread of its own, so the loop does not stall for
    /// the encoding (tens of milliseconds for ten thousand contacts).
    private func snapshotIfDue() {
        guard snapshots != nil, lease.heldEpoch != nil, !snapshotting, log.lastNumber - snapshotNumber >= snapshotEvery else { return }
        let work = SnapshotWork(number: log.lastNumber, id: log.lastID, centre: replica.engine.snapshot(), requests: appliedOrder,
                                statistics: statistics?(), parties: parties, path: self)
        snapshotting = true
        let loop = self.loop
        do {
            snapshotThread = try PosixThread(name: "snapshot") {
                // Encoding waits for spare CPU: on a busy node it takes longer, and the
                // loops do not slow down for it.
                PosixThread.lowerCurrentPriority()
                let started = monotonicNanoseconds()
                let snapshot = work.snapshot()
                work.encoded = (snapshot, Result { try ClusterSnapshots.encode(snapshot) }, (monotonicNanoseconds() - started) / 1_000_000)
                loop.execute { work.path?.store(work) }
            }
        } catch {
            snapshotting = false
            snapshotNumber = work.number  // not again at once; the next interval tries anew
            Log.error("cluster: no thread to encode the snapshot at log entry \(work.number): \(error)")
        }
    }

    private func store(_ work: SnapshotWork) {
        snapshotThread?.join()
        snapshotThread = nil
        guard let snapshots, !stopped, let (snapshot, encoded, encodedIn) = work.encoded else { return }
        let body: [UInt8]
        switch encoded {
        case .success(let bytes):
            body = bytes
        case .failure(let error):
            snapshotting = false
            snapshotNumber = snapshot.number
            Log.error("cluster: the snapshot at log entry \(snapshot.number) cannot be encoded: \(error)")
            return
        }
        snapshots.save(snapshot, body: body) { [weak self] result in
            guard let self else { return }
            snapshotting = false
            switch result {
            case .success(let stored):
                snapshotNumber = max(snapshotNumber, snapshot.number)
                snapshotsWritten &+= stored ? 1 : 0
                Log.info("cluster: snapshot at log entry \(snapshot.number): \(body.count) bytes, encoded in \(encodedIn) ms"
                         + (stored ? "" : " (a later one was stored already)"))
            case .failure(let failure):
                Log.warning("cluster: storing the snapshot at log entry \(snapshot.number) failed: \(failure)")
            }
            // Entries may have come in meanwhile, and none may come for a while.
            snapshotIfDue()
        }
    }

    /// A snapshot's state on its way to the encoding thread: copies of values the loop
    /// no longer changes (each change on the loop copies first), so reading them there
    /// is safe; `path` is touched back on the loop only.
    private final class SnapshotWork: @unchecked Sendable {
        let number: Int64
        let id: String
        let centre: CenterSnapshot
        let requests: Deque<RequestKey>
        let statistics: WaitStatistics?
        let parties: ConnectedParties
        weak var path: ClusterCommandPath?
        /// Set on the encoding thread before it hands the work back to the loop.
        var encoded: (ClusterSnapshot, Result<[UInt8], any Error>, UInt64)?

        init(number: Int64, id: String, centre: CenterSnapshot, requests: Deque<RequestKey>, statistics: WaitStatistics?,
             parties: ConnectedParties, path: ClusterCommandPath) {
            self.number = number
            self.id = id
            self.centre = centre
            self.requests = requests
            self.statistics = statistics
            self.parties = parties
            self.path = path
        }

        func snapshot() -> ClusterSnapshot {
            ClusterSnapshot(number: number, id: id, centre: centre, requests: requests.map { "\($0.instance) \($0.request)" },
                            statistics: statistics, parties: parties.lines)
        }
    }

    /// Snapshots this node stored.
    private(set) var snapshotsWritten: UInt64 = 0

    // MARK: From the log

    private func apply(_ records: [CommandLog.Record]) {
        defer { applyingEntry = nil }
        for record in records {
            appliedRecords &+= 1
            applyingEntry = record.number
            let envelope: LogEnvelope
            do {
                envelope = try LogEnvelope(decoding: record.payload)
            } catch {
                // Every replica skips the same entry, so they stay alike; it is a bug.
                Log.error("cluster: log entry \(record.id) cannot be read and is skipped: \(error)")
                continue
            }
            let key = RequestKey(instance: envelope.instance, request: envelope.request)
            guard applied.insert(key).inserted else {
                skippedRepeats &+= 1
                continue
            }
            appliedOrder.append(key)
            if appliedOrder.count > Self.rememberedRequests, let old = appliedOrder.popFirst() { applied.remove(old) }
            let time = max(0, record.time)
            let mine = envelope.instance == lease.identity ? pending.removeValue(forKey: envelope.request) : nil
            switch envelope.body {
            case .command(let command):
                let outcome = replica.apply(LoggedCommand(at: Instant(milliseconds: time), wall: WallTime(millisecondsSince1970: time),
                                                          command: command))
                parties.record(command, from: envelope.instance, outcome: outcome, center: replica.engine)
                if let mine { mine.then(outcome) } else { othersApplied?(outcome) }
            case .instanceLost(let lost):
                // Each replica disconnects whom the instance holds at this entry, in id
                // order: whoever resumed elsewhere before it is not touched.
                let (customers, agents) = parties.takeLost(lost, center: replica.engine)
                let commands = customers.map(CenterCommand.customerDisconnected) + agents.map(CenterCommand.agentDisconnected)
                for command in commands {
                    let outcome = replica.apply(LoggedCommand(at: Instant(milliseconds: time), wall: WallTime(millisecondsSince1970: time),
                                                              command: command))
                    parties.forgetFinished(outcome)
                    partiesLost?(command, outcome, envelope.instance == lease.identity)
                }
                Log.info("cluster: \(lost) lost: \(customers.count) customers and \(agents.count) agents disconnected")
                mine?.then(.applied(notices: [], created: nil))
            }
        }
        snapshotIfDue()
    }

    // MARK: Time

    private func tick(now: UInt64) {
        // In request order, so that a node's requests reach the log in the order it asked.
        for number in pending.keys.sorted() {
            guard let request = pending[number] else { continue }
            if now &- request.askedAt >= giveUpAfter {
                // Should it reach the log after all, it is applied like any other node's.
                pending[number] = nil
                gaveUp &+= 1
                Log.warning("cluster: request \(number) given up after \((now &- request.askedAt) / 1_000_000) ms: not in the log "
                            + "(holder \(lease.holderIdentity ?? "none"), held here: \(lease.heldEpoch != nil))")
                request.then(.refused(.unavailable))
            } else if now &- request.sentAt >= Self.resendAfter {
                pending[number]!.sentAt = now
                route(request.envelope)
            }
        }
    }
}
