import EventLoop
import Posix
import Redis
import RedisClient

/// The centre's command log: a Redis Stream every node reads in order and only the
/// routing lease holder writes (protocol/cluster.md, "Command log"). On one event loop
/// (the domain's), its thread only.
///
/// Appends go through a script that checks, atomically with the `XADD`, that the lease
/// is still this node's at this epoch: a node whose lease has run out or moved, even
/// one that does not know yet (paused, cut off, slow), can never add to the log. Each
/// entry carries the epoch it was written under, and the time it takes effect: Redis's
/// clock when it was appended, never earlier than the entry before (a clock stepped
/// back, or a new holder, cannot make time run backwards in the log). So the contact
/// clock lives in the log, and every replica measures waits on one timeline.
///
/// Reading uses a link of its own, because `XREAD BLOCK` holds its connection until
/// entries arrive; after any break it resumes after the last id it handed on, so
/// nothing is read twice or skipped.
package final class CommandLog {
    /// One entry as read back.
    package struct Record: Equatable {
        /// The stream id (`milliseconds-sequence`), increasing.
        package var id: String
        /// The entry's number: 1 for the log's first, one more for each entry after.
        /// A reader that sees a number jump has missed entries (trimmed after a snapshot).
        package var number: Int64
        package var epoch: Int64
        /// When the entry takes effect: milliseconds since 1970 by Redis's clock, not
        /// decreasing along the log.
        package var time: Int64
        package var payload: [UInt8]
    }

    let key: String
    private let leaseKey: String
    private let timeKey: String
    private let countKey: String
    private let writer: RedisConnection
    let reader: RedisConnection
    /// The id of the last record handed on; reading resumes after it.
    private(set) var lastID: String
    /// The number of the last record handed on (0: none yet); the next must be one more.
    private(set) var lastNumber: Int64
    private var reading = false
    /// After a read Redis refused: when to read again (0: not waiting), and how many in a row.
    private var retryReadAt: UInt64 = 0
    private var readFailures = 0
    static let readRetryDelay: UInt64 = 250_000_000
    /// Weak: the loop outlives this log, and holds its ticker.
    private weak var loop: EventLoop?
    /// Entries were missing; nothing more is read until `resume`.
    private var gapFound = false
    private var stopped = true
    /// How long one `XREAD` waits for new entries before asking again.
    static let blockMilliseconds = 2_000
    static let readBatch = 512
    /// Records in order, as they are read; called on the loop.
    var received: (([Record]) -> Void)?
    /// The log has no entry `expected` any more (trimmed after a snapshot this node had
    /// not reached): reading stops until `resume(after:number:)`. Called on the loop.
    var missing: ((_ expected: Int64, _ found: Int64) -> Void)?

    init(loop: EventLoop, address: RedisAddress, keyPrefix: String, writer: RedisConnection) {
        key = keyPrefix + ":log"
        leaseKey = keyPrefix + ":lease"
        timeKey = keyPrefix + ":log-time"
        countKey = keyPrefix + ":log-count"
        self.writer = writer
        self.loop = loop
        lastID = "0-0"
        lastNumber = 0
        reader = RedisConnection(loop: loop, address: address)
        // A blocked read is answered within blockMilliseconds; only a stall past that is a broken link.
        reader.replyTimeout = UInt64(Self.blockMilliseconds + 3_000) * 1_000_000
    }

    /// Starts reading (and keeps reading across reconnects until `stop`).
    func start() {
        stopped = false
        reader.stateChanged = { [unowned self] state in
            if state == .up { reading = false; retryReadAt = 0; readMore() }
        }
        loop?.addTicker(TickAction { [weak self] now in
            guard let self, retryReadAt != 0, now >= retryReadAt else { return }
            retryReadAt = 0
            readMore()
        })
        reader.start()
    }

    func stop() {
        stopped = true
        reader.close()
    }

    /// Reads on after the entry `id`, numbered `number` (a snapshot's place in the log).
    /// Before `start`, or after `missing` stopped the reading.
    func resume(after id: String, number: Int64) {
        lastID = id
        lastNumber = number
        gapFound = false
        readMore()
    }

    /// Appends `payloads` in order under the lease `identity` ("node@instance") at
    /// `epoch`; the completion gets their stream ids and the time they take effect, or
    /// `.replied("FENCED …")` when the lease is not (or no longer) that, in which case
    /// nothing was appended.
    func append(_ payloads: [[UInt8]], identity: String, epoch: Int64,
                _ completion: @escaping (Result<(ids: [String], time: Int64), RedisFailure>) -> Void) {
        precondition(!payloads.isEmpty)
        let arguments: [any RedisArgument] = ["\(identity) \(epoch)", epoch] + payloads.map { $0 as any RedisArgument }
        Self.fencedAppend.run(on: writer, keys: [leaseKey, key, timeKey, countKey], arguments: arguments) { result in
            completion(result.flatMap { reply in
                guard case .array(let parts?) = reply, parts.count == 2, let time = parts[0].integer,
                      case .array(let ids?) = parts[1] else { return .failure(.replied("unexpected append reply \(reply)")) }
                return .success((ids.compactMap(\.text), time))
            })
        }
    }

    private func readMore() {
        guard !stopped, !reading, !gapFound, reader.state == .up else { return }
        reading = true
        let command = RedisCommand("XREAD", "COUNT", Self.readBatch, "BLOCK", Self.blockMilliseconds, "STREAMS", key, lastID)
        reader.send(command) { [unowned self] result in
            reading = false
            switch result {
            case .success(let reply):
                guard let records = Self.records(in: reply) else {
                    Log.error("cluster: a command log read this node cannot parse: \(reply)")
                    return
                }
                guard !gapFound else { return }  // resumed elsewhere while this read was out
                var ready = records[...]
                for (i, record) in records.enumerated() where record.number != lastNumber + 1 + Int64(i) {
                    ready = records[..<i]
                    gapFound = true
                    break
                }
                if let last = ready.last {
                    lastID = last.id
                    lastNumber = last.number
                    received?(Array(ready))
                }
                if gapFound {
                    let found = records[ready.count].number
                    Log.warning("cluster: the command log has no entry \(lastNumber + 1) any more (next is \(found)): "
                                + "it was trimmed after a snapshot")
                    missing?(lastNumber + 1, found)
                    return
                }
                readFailures = 0
                readMore()
            case .failure(.replied(let text)):
                // E.g. LOADING: a restarted Redis still reading its AOF. Read again
                // shortly; a reader that gave up here would leave this node deaf to the
                // log while its link looks up (found by loadtest/chaos.py).
                if readFailures == 0 { Log.warning("cluster: reading the command log failed: \(text); trying again") }
                readFailures &+= 1
                retryReadAt = (loop?.now ?? 0) &+ Self.readRetryDelay
            case .failure:
                break  // the link is down; reading resumes when it is up again
            }
        }
    }

    /// The records of an `XREAD` reply (nil: timed out with none), or nil for a reply of
    /// another shape.
    package static func records(in reply: RESPValue) -> [Record]? {
        if reply.isNull { return [] }
        guard case .array(let streams?) = reply else { return nil }
        var records: [Record] = []
        for stream in streams {
            guard case .array(let pair?) = stream, pair.count == 2, case .array(let entries?) = pair[1] else { return nil }
            for entry in entries {
                guard case .array(let parts?) = entry, parts.count == 2, let id = parts[0].text,
                      case .array(let fields?) = parts[1], fields.count % 2 == 0 else { return nil }
                var number: Int64?
                var epoch: Int64?
                var time: Int64?
                var payload: [UInt8]?
                for index in stride(from: 0, to: fields.count, by: 2) {
                    switch fields[index].text {
                    case "n": number = fields[index + 1].integer
                    case "e": epoch = fields[index + 1].integer
                    case "t": time = fields[index + 1].integer
                    case "c": if case .bulk(let bytes?) = fields[index + 1] { payload = bytes }
                    default: break
                    }
                }
                guard let number, let epoch, let time, let payload else { return nil }
                records.append(Record(id: id, number: number, epoch: epoch, time: time, payload: payload))
            }
        }
        return records
    }

    /// KEYS: lease, log, log time, log count. ARGV: the lease value this node holds
    /// ("node@instance epoch"), the epoch, then one payload per entry. All or nothing.
    /// Returns {the entries' time, their ids}; each entry also carries its number.
    static let fencedAppend = RedisScript("""
    local holder = redis.call('GET', KEYS[1])
    if holder ~= ARGV[1] then
      return redis.error_reply('FENCED the lease is ' .. (holder or 'free') .. ', not ' .. ARGV[1])
    end
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local last = tonumber(redis.call('GET', KEYS[3]) or '0')
    if now < last then now = last end
    redis.call('SET', KEYS[3], now)
    local ids = {}
    for i = 3, #ARGV do
      local n = redis.call('INCR', KEYS[4])
      ids[#ids + 1] = redis.call('XADD', KEYS[2], '*', 'n', n, 'e', ARGV[2], 't', now, 'c', ARGV[i])
    end
    return {now, ids}
    """)
}
