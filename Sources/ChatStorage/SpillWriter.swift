import Posix
import Synchronization

/// A run of records for one segment file, starting at a byte offset the domain side
/// assigned (so a retry after a failed write rewrites exactly the same bytes). A plain
/// value handed from the domain thread to the writer.
struct Chunk: Sendable {
    var segment: UInt64
    var offset: Int64
    var bytes: [UInt8]
    /// Log position after the chunk's last byte.
    var end: UInt64
    var newestTS: Int64
    var ages = RecordAges()
}

/// What the writer reports after each group commit: log positions (cumulative record
/// bytes, the same count `TranscriptLog.append` returns) that reached the OS and stable
/// storage, the current failure, and which segments retention removed. A plain value.
public struct SpillProgress: Sendable, Equatable {
    public var written: UInt64 = 0
    public var synced: UInt64 = 0
    /// Why writing fails right now (nil: healthy); the writer keeps retrying.
    public var failure: String?
    /// Segments numbered below this have been removed.
    public var removedBelow: UInt64 = 0
    /// Group commits written, and fdatasync calls made, since start.
    public var commits: UInt64 = 0
    public var syncs: UInt64 = 0
    /// Increases with every report; two threads report (the writer and, under the
    /// interval policy, the syncer), so a receiver ignores one older than it has.
    public var version: UInt64 = 0

    public init() {}
}

/// What a shutdown could not write: the records still only in memory when the writer
/// made its last attempt (the disk failed to the end). A plain value.
public struct UnwrittenRecords: Sendable, Equatable {
    public var records = 0
    public var bytes = 0
    /// Why the last attempt failed.
    public var reason: String

    init(_ chunks: [Chunk], reason: String) {
        self.reason = reason
        for chunk in chunks {
            bytes += chunk.bytes.count
            // A chunk at offset 0 starts its segment with the header.
            var offset = chunk.offset == 0 ? RecordFormat.segmentHeaderSize : 0
            chunk.bytes.withUnsafeBytes { raw in
                while case .record(let view) = RecordScanner.step(raw, at: offset) {
                    records += 1
                    offset = view.extent.upperBound
                }
            }
        }
    }
}

/// What the writer and the syncer report together, and each one's failure. Guarded
/// by `SpillWriter.published`.
private struct Published {
    var progress = SpillProgress()
    var writerFailure: String?
    var syncFailure: String?

    mutating func report() -> SpillProgress {
        progress.failure = writerFailure ?? syncFailure
        progress.version += 1
        return progress
    }
}

/// The spill writer: writes chunks with pwrite, syncs them as the `FsyncPolicy` says
/// (on its thread under `always`; through `IntervalSyncer` under an interval), rotates
/// and retains segment files, and reports progress.
///
/// Under `always` every chunk goes to the writer's thread, which takes all that was
/// queued since its last pass (group commit) and syncs it before it reports. Under an
/// interval or `never` an acknowledgement waits only for the write to the OS, so the
/// domain thread writes a healthy segment's chunks itself (`submit` returns the
/// progress at once): handing them to a thread and hearing back cost two thread hops
/// and an extra loop iteration per domain-loop iteration, about a tenth of the
/// broker's CPU in the relay benchmark. The thread still does what may block for
/// long: opening and rotating segments, retrying a failed disk, retention, and a
/// report every second.
///
/// Threads: `submit` and `stop` are called on the domain thread; the rest runs on the
/// writer's own thread. The queue between them is guarded by `wake`; the files and
/// the writer's view of progress by `disk`, held by whichever thread writes (lock
/// order: `disk`, then `wake`); the reported progress, which the syncer updates too,
/// by `published`.
final class SpillWriter: @unchecked Sendable {
    private let wake = WakeCondition()
    // Guarded by `wake`.
    private var queue: [Chunk] = []
    private var stopping = false

    private let directory: String
    private let policy: FsyncPolicy
    private let configuration: StorageConfiguration
    private let report: @Sendable (SpillProgress) -> Void
    private let published = Mutex(Published())
    /// Set in `start`, before any chunk.
    private var syncer: IntervalSyncer?

    private let disk = WakeCondition()
    // Guarded by `disk`.
    /// The writer's own view (its `synced` is not used; `published` has the real one).
    private var progress = SpillProgress()
    /// Chunks a failed write left, for the thread to retry. Only the thread changes
    /// it, so the thread reads it without the lock.
    private var retry: [Chunk] = []
    private var active: (number: UInt64, fd: Int32)?
    private var activeInfo: SegmentInfo?
    private var closed: [SegmentInfo]
    private var unsynced = false
    private var lastRetention: UInt64 = 0
    private let holdFloor = Atomic<UInt64>(.max)
    private var thread: PosixThread?

    init(configuration: StorageConfiguration, recovered: [SegmentInfo], start: SpillProgress,
         report: @escaping @Sendable (SpillProgress) -> Void) {
        self.configuration = configuration
        directory = configuration.directory
        policy = configuration.fsync
        closed = recovered
        progress = start
        self.report = report
    }

    func start() throws(PosixError) {
        if case .interval(let ms) = policy {
            let syncer = IntervalSyncer(directory: directory, milliseconds: ms) { [self] position, error in
                let report = published.withLock { p -> SpillProgress in
                    if let error {
                        if p.syncFailure == nil { Log.error("transcripts: cannot sync a segment in \(directory): \(error)") }
                        p.syncFailure = "cannot sync a segment in \(directory): \(error)"
                    } else {
                        p.syncFailure = nil
                        p.progress.synced = max(p.progress.synced, position)
                        p.progress.syncs += 1
                    }
                    return p.report()
                }
                self.report(report)
            }
            try syncer.start()
            self.syncer = syncer
        }
        thread = try PosixThread(name: "spill") { [self] in run() }
    }

    /// Writes chunks now or queues them for the writer's next group commit (domain
    /// thread). Returns the progress when they were written here (see the type's doc),
    /// nil when the writer's thread has them.
    func submit(_ chunks: [Chunk]) -> SpillProgress? {
        guard !chunks.isEmpty else { return nil }
        if policy != .always, let report = writeHere(chunks) { return report }
        wake.withLock {
            queue.append(contentsOf: chunks)
            wake.signal()
        }
        return nil
    }

    /// Writes `chunks` on the calling thread if the disk is healthy, their segment is
    /// the open one and nothing queued must go first; nil otherwise (the caller queues
    /// them). A write that fails hands the rest to the writer's thread, which retries.
    /// Never waits for the writer's thread: while it holds `disk` (rotating a segment,
    /// with its `fdatasync`, say) the chunks are queued behind its work instead.
    private func writeHere(_ chunks: [Chunk]) -> SpillProgress? {
        disk.withLockIfFree { () -> SpillProgress? in
            guard retry.isEmpty, progress.failure == nil, let open = active?.number,
                  chunks.allSatisfy({ $0.segment == open }),
                  wake.withLock({ queue.isEmpty && !stopping }) else { return nil }
            progress.commits += 1
            let unwritten = write(chunks)
            if !unwritten.isEmpty {
                wake.withLock {
                    queue = unwritten
                    wake.signal()
                }
            }
            syncIfDue(force: false)
            return merged()
        } ?? nil
    }

    /// Writes and syncs what is queued, then ends the thread (domain thread, at
    /// shutdown). The writer makes one last attempt; what the disk still refuses is
    /// returned (nil: everything was written).
    func stop() -> UnwrittenRecords? {
        wake.withLock {
            stopping = true
            wake.signal()
        }
        thread?.join()
        thread = nil
        syncer?.stop()
        syncer = nil
        // The writer thread has ended (joined): its state is ours to read.
        let unwritten = retry + wake.withLock { queue }
        guard !unwritten.isEmpty else { return nil }
        return UnwrittenRecords(unwritten, reason: progress.failure ?? "the writer stopped")
    }

    static func path(_ directory: String, segment: UInt64) -> String {
        let digits = String(segment)
        return directory + "/" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".seg"
    }

    // MARK: Writer thread

    private func run() {
        while true {
            wake.withLock {
                while queue.isEmpty && retry.isEmpty && !stopping {
                    let now = WakeCondition.monotonicNow()
                    let deadline = now + 1_000_000_000
                    if deadline <= now { break }
                    wake.wait(until: deadline)
                    if WakeCondition.monotonicNow() >= deadline { break }
                }
            }
            // The batch is taken with `disk` held, so the domain thread cannot write a
            // later chunk in between.
            let (ended, failing) = disk.withLock { () -> (Bool, Bool) in
                var (batch, ending) = wake.withLock { () -> ([Chunk], Bool) in
                    defer { queue.removeAll(keepingCapacity: true) }
                    return (queue, stopping)
                }
                let failedBefore = progress.failure
                if !retry.isEmpty {
                    batch = retry + batch
                    retry = []
                }
                if !batch.isEmpty { progress.commits += 1 }
                retry = write(batch)
                syncIfDue(force: ending || policy == .always)
                let now = WakeCondition.monotonicNow()
                if now &- lastRetention >= 1_000_000_000 {
                    lastRetention = now
                    applyRetention()
                }
                publish()
                if ending && (retry.isEmpty || progress.failure != nil && failedBefore != nil) {
                    if let fd = active?.fd { File.close(fd) }
                    return (true, false)
                }
                return (false, !retry.isEmpty)
            }
            if ended { return }
            if failing {
                // The disk failed: try again in a second, without spinning.
                wake.withLock { if !stopping { wake.wait(until: WakeCondition.monotonicNow() + 1_000_000_000) } }
            }
        }
    }

    /// Writes `batch` in order; returns what it could not write (empty: all of it).
    private func write(_ batch: [Chunk]) -> [Chunk] {
        for (i, chunk) in batch.enumerated() {
            do {
                let fd = try segment(chunk.segment)
                try File.write(fd, chunk.bytes, at: chunk.offset)
                unsynced = true
                progress.written = chunk.end
                if var info = activeInfo {
                    info.bytes = max(info.bytes, chunk.offset + Int64(chunk.bytes.count))
                    info.newestTS = max(info.newestTS, chunk.newestTS)
                    info.ages.merge(chunk.ages)
                    activeInfo = info
                }
                if progress.failure != nil {
                    Log.warning("transcripts: writing to \(directory) works again")
                    progress.failure = nil
                }
            } catch {
                fail("cannot write segment \(chunk.segment) in \(directory): \(error)")
                return Array(batch[i...])
            }
        }
        return []
    }

    /// Merges the writer's view into the reported progress and reports it.
    private func publish() {
        self.report(merged())
    }

    /// The writer's view merged into the reported progress, as a new report.
    private func merged() -> SpillProgress {
        published.withLock { p -> SpillProgress in
            p.progress.written = progress.written
            p.writerFailure = progress.failure
            p.progress.commits = progress.commits
            p.progress.removedBelow = progress.removedBelow
            if policy == .never { p.progress.synced = p.progress.written }
            return p.report()
        }
    }

    /// The writer synced everything written so far (rotation, `always`, shutdown).
    private func noteSynced() {
        let position = progress.written
        published.withLock {
            $0.progress.synced = max($0.progress.synced, position)
            $0.progress.syncs += 1
        }
        unsynced = false
    }

    private func syncIfDue(force: Bool) {
        guard unsynced, progress.failure == nil else { return }
        switch policy {
        case .never:
            unsynced = false
            return
        case .interval:
            // The syncer syncs on its own clock; the writer only at shutdown.
            guard force else {
                if let active { syncer?.written(segment: active.number, position: progress.written) }
                return
            }
        case .always:
            break
        }
        guard let fd = active?.fd else { return }
        do {
            try File.syncData(fd)
            noteSynced()
        } catch {
            fail("cannot sync segment in \(directory): \(error)")
        }
    }

    /// The open file of segment `number`, rotating to it if it is a new one.
    private func segment(_ number: UInt64) throws(PosixError) -> Int32 {
        if let active, active.number == number { return active.fd }
        if let old = active {
            // The old segment is complete: sync it before it is closed, whatever the
            // policy, so a closed segment is always whole on disk.
            try File.syncData(old.fd)
            noteSynced()
            File.close(old.fd)
            if let info = activeInfo { closed.append(info) }
            active = nil
            activeInfo = nil
        }
        try File.makeDirectory(directory)
        let fd = try File.open(SpillWriter.path(directory, segment: number), write: true, create: true)
        active = (number, fd)
        let existing = (try? File.size(fd)) ?? 0
        activeInfo = SegmentInfo(number: number, bytes: existing, newestTS: 0, ages: RecordAges())
        if let dir = try? File.open(directory) {
            try? File.sync(dir)  // the new file's name is durable too
            File.close(dir)
        }
        lastRetention = 0
        return fd
    }

    /// Segments numbered this or above hold a conversation under legal hold: never
    /// purged (set by the domain thread from `holds`, read here).
    func setHoldFloor(_ floor: UInt64) { holdFloor.store(floor, ordering: .relaxed) }

    private func applyRetention() {
        let reasons = Retention.removable(closed: closed, activeBytes: activeInfo?.bytes ?? 0,
                                          maxBytes: configuration.retentionBytes, policy: configuration.retention,
                                          holdFloor: holdFloor.load(ordering: .relaxed),
                                          nowMilliseconds: WakeCondition.wallMilliseconds())
        let count = reasons.count
        guard count > 0 else { return }
        for (segment, reason) in zip(closed.prefix(count), reasons) {
            // One line per purge: what went, and why (protocol/storage.md, "Retention").
            let why = reason == .age
                ? "every record in it is past its retention ([retention]); newest \(segment.newestTS) ms"
                : "the store is over retention_bytes (\(configuration.retentionBytes))"
            Log.info("transcripts: retention purged segment \(segment.number) (\(segment.bytes) bytes): \(why)")
            do {
                try File.remove(SpillWriter.path(directory, segment: segment.number))
            } catch where File.isMissing(error) {
            } catch {
                Log.warning("transcripts: cannot remove segment \(segment.number): \(error)")
            }
            progress.removedBelow = segment.number + 1
        }
        closed.removeFirst(count)
    }

    private func fail(_ message: String) {
        if progress.failure != message { Log.error("transcripts: \(message)") }
        progress.failure = message
    }
}
