import ChatCore
import ChatProtocol
import ChatStorage
import EventLoop
import Posix
import Synchronization

/// The broker's transcript store: every event goes into `ChatStorage.TranscriptLog`
/// (the ring, then the segment files) as its wire JSON; client message ids of live
/// conversations are remembered here for deduplication.
///
/// Owned by the domain thread. The spill writer's reports reach it through
/// `domain.execute` (`progressed`), or at once when the domain thread wrote the
/// records itself (`flushLog`), and the positions it releases go to `released`,
/// which the desk points at its outbox, so that acknowledgements wait for the disk
/// as the fsync policy says (protocol/storage.md).
final class DiskTranscripts: TranscriptStore, Flushable {
    let log: TranscriptLog
    /// Holds this store for the writer's reports until `close`.
    private let relay = ProgressRelay()
    private unowned let domain: EventLoop
    private var flushScheduled = false
    let health: TranscriptHealth
    var boot: UInt32 { log.boot }
    func adopt(boot: UInt32) {
        log.adopt(boot: boot)
        Log.info("transcripts: this run's conversations are c-\(boot)-N (the cluster's generation)")
    }
    /// Called with each new releasable log position (domain thread).
    var released: ((UInt64) -> Void)?
    private var clientIDs: [ConversationID: [ClientKey: Int64]] = [:]
    /// Conversations whose customer text was erased, and up to which seq.
    private var erasedThrough: [TranscriptKey: Int64] = [:]
    private var lastReleased: UInt64 = 0
    /// Who holds the backlog not yet written, and the last append's place in the log.
    private var shares = BacklogShares<MessageBudgets.Owner>()
    private var lastAppend: (start: UInt64, end: UInt64) = (0, 0)

    private struct ClientKey: Hashable {
        let author: Author
        let id: String
    }

    /// Recovers the store in `configuration.directory` (never fails: a bad directory
    /// leaves it degraded and reported) and routes the writer's reports to `domain`.
    init(configuration: StorageConfiguration, domain: EventLoop, health: TranscriptHealth) {
        let relay = self.relay
        log = TranscriptLog(configuration: configuration) { progress in relay.forward(progress) }
        self.health = health
        self.domain = domain
        let recovery = log.recovery
        Log.info("transcripts: \(configuration.directory): \(recovery.segments) segment(s), \(recovery.records) record(s), "
                 + "\(recovery.bytes) bytes recovered; boot \(log.boot); fsync \(configuration.fsync)")
        health.update(log)
        relay.target.withLock { $0 = (domain, LoopBound(self)) }
        for marker in recovery.erasures {
            guard let payload = log.read(marker.key, after: marker.seq - 1, limit: 1).payloads.first,
                  case .event(.erased(let e))? = try? ServerMessage.decode(payload) else { continue }
            erasedThrough[marker.key] = max(erasedThrough[marker.key] ?? 0, e.throughSeq)
        }
    }

    /// Writes and syncs what is pending and stops the writer (shutdown); then lets go
    /// of the relay's reference back to this store, so it can be freed. Returns what
    /// the disk still refused at the last attempt, after logging it (nil: nothing).
    @discardableResult
    func close() -> UnwrittenRecords? {
        let unwritten = log.close()
        relay.target.withLock { $0 = nil }
        if let unwritten {
            Log.error("transcripts: shutdown: \(unwritten.records) record(s), \(unwritten.bytes) bytes not written "
                      + "(\(unwritten.reason)); they are lost. Every one was held back from its acknowledgement.")
        }
        return unwritten
    }

    /// A writer report, on the domain thread.
    func progressed(_ progress: SpillProgress) {
        log.progressed(progress)
        advanced()
    }

    /// Hands this iteration's records to the log; under an interval or `never` they
    /// are usually written before it returns, and what waited for them is released.
    private func flushLog() {
        let before = log.progress.version
        log.flush()
        if log.progress.version != before { advanced() }
    }

    /// After the log's progress moved: the budgets, the health figures, and the
    /// position up to which what waited may go out.
    private func advanced() {
        shares.written(upTo: log.progress.written)
        health.update(log)
        let position = releasable
        if position > lastReleased {
            lastReleased = position
            released?(position)
        }
    }

    /// What an acknowledgement waits for: the sync under `always`, the write to the OS
    /// under an interval, nothing under `never`; while the disk fails, only what
    /// follows an unwritten chat message (`TranscriptLog.releasable`).
    private var releasable: UInt64 { log.releasable }

    // MARK: TranscriptStore

    var isAccepting: Bool { log.isAccepting && log.failure == nil }

    func accepts(from sender: MessageBudgets.Owner) -> Bool {
        isAccepting && shares.admits(sender, pending: log.pendingBytes, limit: UInt64(log.configuration.maxPendingBytes))
    }

    func charge(_ sender: MessageBudgets.Owner) {
        shares.recorded(sender, end: lastAppend.end, bytes: lastAppend.end - lastAppend.start)
    }

    func refusedOne() { health.refusedOne() }

    func commit() -> UInt64? {
        flushLog()
        guard log.configuration.fsync != .never, log.appended > releasable else { return nil }
        return log.appended
    }

    func lastSeq(of conversation: ConversationID) -> Int64 { log.lastSeq(of: key(conversation)) }
    func lastSeq(of key: TranscriptKey) -> Int64 { log.lastSeq(of: key) }

    func chainHead(of key: TranscriptKey) -> ChainHead? {
        log.link(of: key).map { ChainHead(conversation: LeftMessageRecords.anyWireID(key), seq: log.lastSeq(of: key), sha256: $0.hex) }
    }

    func scrub(_ key: TranscriptKey, through: Int64) throws(TranscriptLog.EraseError) -> String? {
        let rewritten = try log.erase(key, through: through, scrub: Erasure.scrubbed)
        return rewritten.isEmpty ? nil : RewrittenRecord.list(rewritten)
    }

    func appendMarker(_ event: ConversationEvent, to key: TranscriptKey) {
        log.append(key, seq: event.seq, ts: event.ts, payload: ServerMessage.event(event).encoded())
        if case .erased(let e) = event { erasedThrough[key] = max(erasedThrough[key] ?? 0, e.throughSeq) }
        appended()
    }

    func append(_ recorded: RecordedEvent, to conversation: ConversationID) {
        let event = recorded.event
        // A client's message (it has a client id) is acknowledged as stored.
        var promised = false
        if case .message(let m) = event, m.clientID != nil { promised = true }
        let start = log.appended
        log.append(key(conversation), seq: event.seq, ts: event.ts, payload: recorded.bytes, promised: promised)
        lastAppend = (start, log.appended)
        if case .message(let m) = event, let id = m.clientID {
            clientIDs[conversation, default: [:]][ClientKey(author: m.from, id: id)] = event.seq
        }
        appended()
    }

    func append(relayed bytes: [UInt8], seq: Int64, ts: Int64, client: RelayClientID?, to conversation: ConversationID) {
        // A client's message (it has a client id) is acknowledged as stored.
        let start = log.appended
        log.append(key(conversation), seq: seq, ts: ts, payload: bytes, promised: client != nil)
        lastAppend = (start, log.appended)
        if let client { clientIDs[conversation, default: [:]][ClientKey(author: client.author, id: client.id)] = seq }
        appended()
    }

    func append(_ recorded: RecordedEvent, to key: TranscriptKey) {
        let start = log.appended
        log.append(key, seq: recorded.seq, ts: recorded.ts, payload: recorded.bytes, promised: true)
        lastAppend = (start, log.appended)
        appended()
    }

    /// After each append: the health figures, and the records handed to the writer
    /// when this domain-loop iteration ends.
    private func appended() {
        health.appended(log)
        if !flushScheduled {
            flushScheduled = true
            domain.scheduleFlush(self)
        }
    }

    var storedKeys: [TranscriptKey] { Array(log.index.keys) }

    /// Hands this iteration's records to the writer (end of a domain-loop iteration),
    /// also when nothing is sent to anyone.
    func flush() {
        flushScheduled = false
        flushLog()
    }

    func events(of conversation: ConversationID, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool) {
        events(of: key(conversation), after: seq, limit: limit)
    }

    func events(of key: TranscriptKey, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool) {
        let page = log.read(key, after: seq, limit: limit)
        var events: [ConversationEvent] = []
        events.reserveCapacity(page.payloads.count)
        for payload in page.payloads {
            guard case .event(let event)? = try? ServerMessage.decode(payload) else {
                Log.error("transcripts: a stored event of \(key) does not decode; the read stops there")
                return (events, false)
            }
            events.append(Erasure.redacted(event, through: erasedThrough[key]))
        }
        return (events, page.more)
    }

    func message(in conversation: ConversationID, clientID: String, from author: Author) -> ChatMessage? {
        guard let seq = clientIDs[conversation]?[ClientKey(author: author, id: clientID)],
              case .message(let m)? = events(of: conversation, after: seq - 1, limit: 1).events.first else { return nil }
        return m
    }

    func forget(_ conversation: ConversationID) {
        clientIDs[conversation] = nil
    }
}

/// Carries the writer's reports (writer thread) to the store on the domain thread.
/// The target is set once the store exists; a report before that is dropped, as the
/// next one (at least every second) carries the same cumulative positions.
private final class ProgressRelay: Sendable {
    let target = Mutex<(EventLoop, LoopBound<DiskTranscripts>)?>(nil)

    func forward(_ progress: SpillProgress) {
        guard let (domain, store) = target.withLock({ $0 }) else { return }
        domain.execute { store.value.progressed(progress) }
    }
}

/// The transcript store's health as the operator endpoints show it (`/healthz`,
/// `/metrics`): written on the domain thread, read on any I/O loop. Sendable.
final class TranscriptHealth: Sendable {
    struct Figures: Sendable {
        var failure: String?
        var appendedBytes: UInt64 = 0
        var writtenBytes: UInt64 = 0
        var syncedBytes: UInt64 = 0
        var ringBytes = 0
        var ringBudget = 0
        var ringEvents = 0
        var conversations = 0
        var refused: UInt64 = 0
        var recoveredRecords = 0
        var repairs = 0
        var lostRecords = 0
        var damagedBytes = 0
    }

    let figures = Mutex(Figures())
    private let appendsSinceUpdate = Atomic<Int>(0)

    func update(_ log: TranscriptLog) {
        figures.withLock {
            $0.failure = log.failure
            $0.appendedBytes = log.appended
            $0.writtenBytes = log.progress.written
            $0.syncedBytes = log.progress.synced
            $0.ringBytes = log.ring.bytes
            $0.ringBudget = log.ring.budget
            $0.ringEvents = log.ring.entryCount
            $0.conversations = log.index.conversationCount
            $0.recoveredRecords = log.recovery.records
            $0.repairs = log.recovery.repairs.count
            $0.lostRecords = log.recovery.lostRecords
            $0.damagedBytes = log.recovery.damaged.reduce(0) { $0 + $1.range.count }
        }
    }

    /// After an append: figures refreshed every 64 appends (writer reports refresh too).
    func appended(_ log: TranscriptLog) {
        if appendsSinceUpdate.add(1, ordering: .relaxed).newValue % 64 == 0 { update(log) }
    }

    func refusedOne() { figures.withLock { $0.refused += 1 } }

    var failure: String? { figures.withLock { $0.failure } }
}
