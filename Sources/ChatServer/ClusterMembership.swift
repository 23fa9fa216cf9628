import ChatCore
import EventLoop
import Posix
import Redis
import RedisClient

/// This node's part in the cluster's membership and routing lease (protocol/cluster.md),
/// on the domain loop (its thread only).
///
/// Every third of the lease timeout one script runs atomically in Redis: it records
/// that this node is alive (Redis's clock, so nodes' clocks need not agree), takes the
/// routing lease if nobody holds it (a new fencing epoch from `INCR`), renews it if this
/// node holds it, forgets nodes silent for a day, and answers with the lease and every
/// node. A node holds the lease only while the lease it last renewed has not run out
/// by its own clock, counted from when the renewal was *sent*: so it gives up routing
/// no later than Redis lets the key expire, even with its link to Redis gone.
final class ClusterMembership: LeaseView {
    let loop: EventLoop
    let configuration: ClusterConfiguration
    let status: ClusterStatus
    let link: RedisConnection
    /// This process among nodes of the same name: a restarted node gets a new one, and
    /// two live processes with one name are told apart (and reported).
    let instance: String
    /// Where clients reach this node (host:port), for `/v1/cluster`; read at each beat.
    private let advertisedAddress: @Sendable () -> String
    private let startedAt: Int64
    private var beatInFlight = false
    private var nextBeat: UInt64 = 0
    /// Until when (monotonic) this node may act as the lease holder.
    private var heldUntil: UInt64 = 0
    private(set) var epoch: Int64 = 0
    /// The lease holder as last heard ("node@instance").
    private(set) var holderIdentity: String?
    /// The processes ("node@instance") that beat within the lease timeout, as of the
    /// last heartbeat; nil before the first one.
    private(set) var liveIdentities: Set<String>?

    var identity: String { "\(configuration.nodeName)@\(instance)" }
    var heldEpoch: Int64? { holdsLease ? epoch : nil }

    /// Redis's clock minus this host's wall clock, in milliseconds, from the last heartbeat
    /// (half the round trip allowed for).
    private(set) var redisOffsetMilliseconds: Int64 = 0
    /// Told the offset after every heartbeat.
    var offsetMeasured: ((Int64) -> Void)?

    /// Called on the loop when this node gains (true) or loses (false) the routing lease.
    var leaseChanged: ((Bool, Int64) -> Void)?

    init(loop: EventLoop, configuration: ClusterConfiguration, address: RedisAddress, status: ClusterStatus,
         advertisedAddress: @escaping @Sendable () -> String) {
        self.loop = loop
        self.configuration = configuration
        self.status = status
        self.advertisedAddress = advertisedAddress
        link = RedisConnection(loop: loop, address: address)
        var random = SystemRandomNumberGenerator()
        instance = String(random.next() as UInt64, radix: 36)
        startedAt = SystemClock().wallNow.millisecondsSince1970
    }

    var leaseTimeoutNanoseconds: UInt64 {
        UInt64(configuration.leaseTimeout.components.seconds) * 1_000_000_000
            + UInt64(configuration.leaseTimeout.components.attoseconds / 1_000_000_000)
    }

    var holdsLease: Bool { monotonicNanoseconds() < heldUntil }

    func start() {
        link.stateChanged = { [unowned self] state in linkChanged(state) }
        link.start()
        loop.addTicker(TickAction { [unowned self] now in tick(now: now) })
    }

    func stop() {
        link.close()
    }

    // MARK: Keys

    var leaseKey: String { configuration.keyPrefix + ":lease" }
    var epochKey: String { configuration.keyPrefix + ":epoch" }
    var nodesKey: String { configuration.keyPrefix + ":nodes" }

    // MARK: Heartbeat

    private func tick(now: UInt64) {
        if heldUntil != 0 && now >= heldUntil { loseLease("the lease ran out without a renewal") }
        guard link.state == .up, !beatInFlight, now >= nextBeat else { return }
        beat()
    }

    private func beat() {
        beatInFlight = true
        // The loop's cached `now` is from before this iteration's poll: read the clock,
        // so the round trip is measured and the lease counted from the true send time.
        let sent = monotonicNanoseconds()
        let timeout = leaseTimeoutNanoseconds
        nextBeat = sent &+ timeout / 3
        let info = "\(startedAt) \(instance) \(advertisedAddress())"
        Self.heartbeat.run(on: link, keys: [leaseKey, epochKey, nodesKey],
                           arguments: [configuration.nodeName, Int(timeout / 1_000_000), info, Self.forgetAfterMilliseconds,
                                       "\(configuration.nodeName)@\(instance)"]) { [unowned self] result in
            beatInFlight = false
            switch result {
            case .success(let reply):
                guard let beat = Heartbeat(reply) else {
                    Log.error("cluster: a heartbeat reply this node cannot read: \(reply)")
                    return
                }
                heard(beat, sent: sent)
            case .failure(let failure):
                Log.warning("cluster: heartbeat failed: \(failure)")
            }
        }
    }

    private func heard(_ beat: Heartbeat, sent: UInt64) {
        let now = monotonicNanoseconds()
        let halfTrip = Int64((now &- sent) / 2_000_000)
        redisOffsetMilliseconds = beat.redisNow + halfTrip - SystemClock().wallNow.millisecondsSince1970
        offsetMeasured?(redisOffsetMilliseconds)
        holderIdentity = beat.holderIdentity
        let mine = beat.holderIdentity == identity
        if mine, beat.leaseMilliseconds > 0 {
            let wasHeld = holdsLease
            heldUntil = sent &+ UInt64(beat.leaseMilliseconds) * 1_000_000
            if !wasHeld || beat.epoch != epoch {
                epoch = beat.epoch
                Log.info("cluster: \(configuration.nodeName) holds the routing lease, epoch \(epoch)")
                leaseChanged?(true, epoch)
            }
        } else {
            if heldUntil != 0 { loseLease("\(beat.holderName ?? "nobody") holds the lease now") }
            // Ask again as the holder's lease runs out, not up to a beat later: a dead
            // holder is replaced about one lease timeout after its last renewal.
            if beat.leaseMilliseconds > 0 {
                nextBeat = min(nextBeat, sent &+ UInt64(beat.leaseMilliseconds + 1) * 1_000_000)
            }
        }
        var conflict: String?
        if let previous = beat.previous, previous.instance != instance,
           beat.redisNow - previous.seen < Int64(leaseTimeoutNanoseconds / 1_000_000) {
            conflict = "another process (instance \(previous.instance)) beat as node '\(configuration.nodeName)' "
                + "\(beat.redisNow - previous.seen) ms ago: every node needs its own --node-name"
            Log.error("cluster: \(conflict!)")
        }
        let timeout = Int64(leaseTimeoutNanoseconds / 1_000_000)
        liveIdentities = Set(beat.nodes.filter { beat.redisNow - $0.seen < timeout }.map { "\($0.name)@\($0.instance)" })
        let nodes = beat.nodes.map {
            ClusterStatus.Node(name: $0.name, address: $0.address, silentMilliseconds: max(0, beat.redisNow - $0.seen), startedAt: $0.started)
        }
        status.figures.withLock { f in
            f.roundTripMicroseconds = Int64((now &- sent) / 1_000)
            f.lastHeartbeat = now
            f.holder = beat.holderName
            f.epoch = beat.holderName == nil ? nil : beat.epoch
            f.leaseExpires = beat.leaseMilliseconds > 0 ? sent &+ UInt64(beat.leaseMilliseconds) * 1_000_000 : nil
            f.heldHere = mine
            f.nodes = nodes.sorted { $0.name < $1.name }
            f.conflict = conflict
        }
    }

    private func loseLease(_ reason: String) {
        heldUntil = 0
        Log.warning("cluster: \(configuration.nodeName) no longer holds the routing lease (epoch \(epoch)): \(reason)")
        status.figures.withLock { $0.heldHere = false }
        leaseChanged?(false, epoch)
    }

    private func linkChanged(_ state: RedisConnection.State) {
        let (name, reason): (String, String?)
        switch state {
        case .connecting: (name, reason) = ("connecting", nil)
        case .up: (name, reason) = ("up", nil)
        case .down(let why): (name, reason) = ("down", why)
        }
        let changed = status.figures.withLock { f -> Bool in
            defer { f.link = name; f.linkReason = reason }
            guard f.link != name else { return false }
            f.linkSince = loop.now
            return true
        }
        if changed { Log.info("cluster: link to Redis \(link.address) \(name)" + (reason.map { ": \($0)" } ?? "")) }
        if state == .up {
            beatInFlight = false
            nextBeat = 0
            beat()
        }
    }

    // MARK: The script

    /// Nodes silent this long are dropped from the list (a day).
    static let forgetAfterMilliseconds = 86_400_000

    /// KEYS: lease, epoch, nodes. ARGV: node, lease ms, "started instance address",
    /// forget-after ms, lease identity (node@instance). Returns {redis now ms, lease
    /// value or false, lease ms left, this node's previous entry or false, nodes}.
    static let heartbeat = RedisScript("""
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local previous = redis.call('HGET', KEYS[3], ARGV[1])
    redis.call('HSET', KEYS[3], ARGV[1], now .. ' ' .. ARGV[3])
    local holder = redis.call('GET', KEYS[1])
    local mine = ARGV[5] .. ' '
    if not holder then
      holder = mine .. redis.call('INCR', KEYS[2])
      redis.call('SET', KEYS[1], holder, 'PX', ARGV[2])
    elseif string.sub(holder, 1, #mine) == mine then
      redis.call('PEXPIRE', KEYS[1], ARGV[2])
    end
    local nodes = redis.call('HGETALL', KEYS[3])
    local forget = now - tonumber(ARGV[4])
    for i = 1, #nodes, 2 do
      local seen = tonumber(string.match(nodes[i + 1], '^%d+'))
      if seen and seen < forget then redis.call('HDEL', KEYS[3], nodes[i]) end
    end
    return {now, holder, redis.call('PTTL', KEYS[1]), previous, nodes}
    """)
}

/// The heartbeat script's answer, read. A plain value.
package struct Heartbeat: Equatable {
    package struct Entry: Equatable {
        var name: String
        var seen: Int64
        var started: Int64
        var instance: String
        var address: String
    }

    var redisNow: Int64
    /// "node@instance", or nil when nobody holds the lease.
    var holderIdentity: String?
    var epoch: Int64
    var leaseMilliseconds: Int64
    /// This node's entry as it was before this beat overwrote it (another process of
    /// the same name shows here).
    var previous: Entry?
    var nodes: [Entry]

    var holderName: String? { holderIdentity.map { String($0.prefix { $0 != "@" }) } }

    package init?(_ reply: RESPValue) {
        guard case .array(let parts?) = reply, parts.count == 5, let now = parts[0].integer,
              let pttl = parts[2].integer, case .array(let flat?) = parts[4], flat.count % 2 == 0 else { return nil }
        redisNow = now
        leaseMilliseconds = max(0, pttl)
        if let holder = parts[1].text {
            let fields = holder.split(separator: " ")
            guard fields.count == 2, let epoch = Int64(fields[1]) else { return nil }
            holderIdentity = String(fields[0])
            self.epoch = epoch
        } else {
            holderIdentity = nil
            epoch = 0
        }
        previous = parts[3].text.flatMap(Self.entry(name: ""))
        nodes = []
        for index in stride(from: 0, to: flat.count, by: 2) {
            guard let name = flat[index].text, let entry = flat[index + 1].text.flatMap(Self.entry(name: name)) else { return nil }
            nodes.append(entry)
        }
    }

    /// "seen started instance address"
    static func entry(name: String) -> (String) -> Entry? {
        { text in
            let fields = text.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, let seen = Int64(fields[0]), let started = Int64(fields[1]) else { return nil }
            return Entry(name: name, seen: seen, started: started, instance: String(fields[2]),
                         address: fields.count > 3 ? String(fields[3]) : "")
        }
    }
}
