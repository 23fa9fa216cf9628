import Posix

/// The transcript store's engine: records appended by the domain thread go into the
/// ring (`TranscriptRing`) and into the next group commit of the spill writer
/// (`SpillWriter`); reads come from the ring, or from the segment files through the
/// index (`RecordIndex`) for what the ring has let go.
///
/// Log positions: `append` returns the count of bytes appended so far (segment headers
/// included); the writer reports the positions written and synced, so a caller can
/// hold back what depends on an event (an acknowledgement) until it is durable.
///
/// Owned by the domain thread, except the progress callback, which runs on the
/// writer's thread and must only hand the value over (`progressed` on the domain).
public final class TranscriptLog {
    public let configuration: StorageConfiguration
    /// This run's boot number: one more than any earlier run's (protocol/storage.md),
    /// or a cluster's generation once adopted (`adopt(boot:)`).
    public private(set) var boot: UInt32
    public let recovery: RecoveryReport
    public private(set) var ring: TranscriptRing
    public private(set) var index = RecordIndex()
    /// The chain link of the newest record appended (protocol/storage.md, "Tamper
    /// evidence"); the next record and the next segment's header carry on from it.
    public private(set) var chain: ChainHash
    /// Each conversation's newest record's link: the chain head an export names.
    public private(set) var links: [TranscriptKey: ChainHash] = [:]
    /// Log position after the last appended record.
    public private(set) var appended: UInt64 = 0
    /// Log position after the newest record whose acknowledgement promises it is
    /// stored (a client's chat message): nothing that follows it may be released
    /// before it is as durable as the policy says, even while the disk fails.
    public private(set) var promised: UInt64 = 0
    /// The writer's latest report.
    public private(set) var progress = SpillProgress()
    /// Why the store cannot write right now (recovery or the writer); nil when healthy.
    public private(set) var failure: String?
    private let writer: SpillWriter
    private var pending: [Chunk] = []
    /// The segment the next record goes into.
    private(set) var segment: UInt64
    private var segmentSize: Int64 = 0
    /// Conversations under legal hold (`LegalHolds`), re-read about once a second.
    public private(set) var holds: Set<TranscriptKey> = []
    /// The oldest segment retention must keep for them (`.max`: none).
    public private(set) var holdFloor = UInt64.max
    private var holdsReadAt: UInt64 = 0
    /// Open segment files for reads, with the format version of each.
    private var readers: [UInt64: (fd: Int32, version: RecordFormat.Version)] = [:]

    /// Recovers what `configuration.directory` holds and starts the writer. Never fails:
    /// a directory that cannot be read or written leaves the store degraded (`failure`),
    /// holding events in memory and retrying, and the broker keeps serving.
    public init(configuration: StorageConfiguration, report: @escaping @Sendable (SpillProgress) -> Void) {
        self.configuration = configuration
        ring = TranscriptRing(budget: configuration.ringBytes)
        var index = RecordIndex()
        var links: [TranscriptKey: ChainHash] = [:]
        let (recovery, segments) = Recovery.run(directory: configuration.directory, into: &index, links: &links)
        self.index = index
        self.links = links
        chain = recovery.chainHead
        self.recovery = recovery
        failure = recovery.failure
        segment = recovery.nextSegment - 1
        let bootPath = configuration.directory + "/boot"
        boot = max(TranscriptLog.readBoot(bootPath), recovery.maxBoot) &+ 1
        if let error = TranscriptLog.writeBoot(boot, to: bootPath), failure == nil {
            failure = "cannot write \(bootPath): \(error)"
            Log.error("transcripts: \(failure!)")
        }
        if !recovery.damaged.isEmpty || !recovery.lost.isEmpty {
            Recovery.writeReport(recovery, boot: boot, directory: configuration.directory)
        }
        writer = SpillWriter(configuration: configuration, recovered: segments, start: SpillProgress(), report: report)
        refreshHolds(force: true)
        do {
            try writer.start()
        } catch {
            failure = "cannot start the spill writer: \(error)"
        }
    }

    deinit {
        for reader in readers.values { File.close(reader.fd) }
    }

    // MARK: Writing

    /// Records event `seq` (the next one) of `key`; returns the log position after it.
    /// `promised`: its acknowledgement tells a client it is stored (`releasable`).
    @discardableResult
    public func append(_ key: TranscriptKey, seq: Int64, ts: Int64, payload: [UInt8], promised: Bool = false) -> UInt64 {
        precondition(seq == index.lastSeq(of: key) + 1, "events are numbered without gaps")
        let size = Int64(RecordFormat.recordSize(payload: payload.count))
        if segmentSize == 0 || segmentSize + size > Int64(configuration.segmentBytes) && segmentSize > Int64(RecordFormat.segmentHeaderSize) {
            segment += 1
            var header: [UInt8] = []
            RecordFormat.appendSegmentHeader(number: segment, chain: chain, to: &header)
            appended += UInt64(header.count)
            pending.append(Chunk(segment: segment, offset: 0, bytes: header, end: appended, newestTS: ts, ages: RecordAges()))
            segmentSize = Int64(header.count)
        } else if pending.isEmpty {
            pending.append(Chunk(segment: segment, offset: segmentSize, bytes: [], end: appended, newestTS: ts, ages: RecordAges()))
        }
        let offset = segmentSize
        RecordFormat.append(key: key, seq: seq, ts: ts, payload: payload, chain: &chain, to: &pending[pending.count - 1].bytes)
        links[key] = chain
        segmentSize += size
        appended += UInt64(size)
        pending[pending.count - 1].end = appended
        pending[pending.count - 1].newestTS = max(pending[pending.count - 1].newestTS, ts)
        pending[pending.count - 1].ages.note(RecordKind.of(payload), ts)
        index.add(key, seq: seq, segment: segment, offset: offset)
        ring.append(key, seq: seq, payload: payload, end: appended)
        ring.evict(durable: progress.synced)
        if promised { self.promised = appended }
        return appended
    }

    /// The log position up to which what depends on the events (acknowledgements,
    /// relays, and everything sent after them) may go out: the sync under `always`,
    /// the write to the OS under an interval, at once under `never`.
    ///
    /// While the disk fails, events that promise nothing to a client (joins, ends)
    /// are released at once, so that traffic keeps flowing; but never past a promised
    /// record that is not yet durable: its ack, and everything after it, waits for
    /// the disk to come back (protocol/storage.md, "When the disk fails").
    public var releasable: UInt64 {
        let durable: UInt64
        switch configuration.fsync {
        case .always: durable = progress.synced
        case .interval: durable = progress.written
        case .never: return appended
        }
        if failure != nil && promised <= durable { return appended }
        return durable
    }

    /// Hands everything appended since the last call to the writer (one group commit
    /// candidate). Call once per domain-loop iteration. Under an interval or `never`
    /// the records are usually written on this thread and `progress` moves before
    /// this returns (`SpillWriter`).
    public func flush() {
        guard !pending.isEmpty else { return }
        let written = writer.submit(pending)
        pending.removeAll(keepingCapacity: true)
        if let written { progressed(written) }
    }

    /// Takes in the writer's report (domain thread).
    public func progressed(_ report: SpillProgress) {
        // Two threads report; one that arrives after a newer one says nothing new.
        guard report.version > progress.version else { return }
        if report.removedBelow > progress.removedBelow {
            index.removeSegments(below: report.removedBelow, live: boot)
            for (number, reader) in readers where number < report.removedBelow {
                File.close(reader.fd)
                readers[number] = nil
            }
        }
        progress = report
        failure = report.failure ?? (report.written > 0 ? nil : failure)
        refreshHolds()
        ring.evict(durable: report.synced)
    }

    /// Re-reads the holds file (at most once a second unless `force`) and tells the
    /// writer the oldest segment it must keep.
    public func refreshHolds(force: Bool = false) {
        let now = WakeCondition.monotonicNow()
        guard force || now &- holdsReadAt >= 1_000_000_000 else { return }
        holdsReadAt = now
        holds = LegalHolds.read(directory: configuration.directory)
        holdFloor = LegalHolds.floor(holds, index: index)
        writer.setHoldFloor(holdFloor)
    }

    func replaceInRing(_ key: TranscriptKey, seq: Int64, payload: [UInt8]) {
        ring.replace(key, seq: seq, payload: payload)
    }

    /// Bytes appended that have not reached the OS yet.
    public var pendingBytes: UInt64 { appended - progress.written }

    /// False while the writer lags more than `maxPendingBytes`: callers refuse new
    /// client messages (backpressure) instead of letting memory grow.
    public var isAccepting: Bool { pendingBytes < UInt64(configuration.maxPendingBytes) }

    /// Writes and syncs everything, then stops the writer (shutdown). Returns what
    /// could not be written (the disk still failed at the last attempt); nil when
    /// everything was.
    @discardableResult
    public func close() -> UnwrittenRecords? {
        flush()
        return writer.stop()
    }

    // MARK: Reading

    public func lastSeq(of key: TranscriptKey) -> Int64 { index.lastSeq(of: key) }
    /// The chain link of the newest record of `key` (nil: none since the chain began).
    public func link(of key: TranscriptKey) -> ChainHash? { links[key] }
    public func firstSeq(of key: TranscriptKey) -> Int64? { index.firstSeq(of: key) }

    /// Payloads of the events of `key` after `seq`, oldest first, at most `limit`; `more`
    /// when others follow. From the ring where it has them, else from the segment files.
    public func read(_ key: TranscriptKey, after seq: Int64, limit: Int) -> (payloads: [[UInt8]], more: Bool) {
        guard let first = index.firstSeq(of: key) else { return ([], false) }
        let last = index.lastSeq(of: key)
        let from = max(seq + 1, first)
        guard from <= last, limit > 0 else { return ([], false) }
        let to = min(last, from + Int64(limit) - 1)
        var payloads: [[UInt8]] = []
        payloads.reserveCapacity(Int(to - from + 1))
        for s in from...to {
            if let payload = ring.payload(of: key, seq: s) ?? readFromDisk(key, seq: s) {
                payloads.append(payload)
            } else if index.isLost(key, seq: s) {
                continue  // lost to damage (recovery reported it): the rest still reads
            } else {
                return (payloads, false)
            }
        }
        return (payloads, to < last)
    }

    private func readFromDisk(_ key: TranscriptKey, seq: Int64) -> [UInt8]? {
        guard let (number, offset) = index.location(of: key, seq: seq) else { return nil }
        do {
            let fd: Int32
            let version: RecordFormat.Version
            if let open = readers[number] {
                (fd, version) = open
            } else {
                fd = try File.open(SpillWriter.path(configuration.directory, segment: number))
                let header = try File.read(fd, count: RecordFormat.segmentHeaderSize, at: 0)
                version = header.withUnsafeBytes { RecordScanner.segmentVersion($0) } ?? RecordFormat.current
                readers[number] = (fd, version)
            }
            var size = 4096
            while true {
                let data = try File.read(fd, count: size, at: offset)
                let count = data.count
                let step = data.withUnsafeBytes { RecordScanner.step($0, at: 0, version: version) }
                switch step {
                case .record(let view):
                    guard view.key == key, view.seq == seq else {
                        Log.error("transcripts: segment \(number) offset \(offset) holds \(view.key) seq \(view.seq), not \(key) seq \(seq)")
                        return nil
                    }
                    return Array(data[view.payload])
                case .needMore(let missing) where count == size:
                    size += missing
                case .needMore, .corrupt, .damagedPayload:
                    Log.error("transcripts: segment \(number) offset \(offset): unreadable record")
                    return nil
                }
            }
        } catch {
            Log.error("transcripts: cannot read segment \(number): \(error)")
            return nil
        }
    }

    // MARK: Boot number

    /// Numbers this run's conversations with `boot` from now on: a cluster node's wire
    /// ids are the cluster's (its generation), the same on every node. Called before
    /// the first conversation of the run; the boot file keeps the larger number, so a
    /// later run on its own still numbers after every earlier one.
    public func adopt(boot: UInt32) {
        self.boot = boot
        let path = configuration.directory + "/boot"
        if boot > TranscriptLog.readBoot(path), let error = TranscriptLog.writeBoot(boot, to: path) {
            Log.error("transcripts: cannot write \(path): \(error)")
        }
    }

    static func readBoot(_ path: String) -> UInt32 {
        guard let fd = try? File.open(path) else { return 0 }
        defer { File.close(fd) }
        let bytes = (try? File.read(fd, count: 16, at: 0)) ?? []
        return UInt32(String(decoding: bytes, as: UTF8.self).filter { $0.isNumber }) ?? 0
    }

    static func writeBoot(_ boot: UInt32, to path: String) -> PosixError? {
        do throws(PosixError) {
            let fd = try File.open(path, write: true, create: true)
            defer { File.close(fd) }
            let text = Array("\(boot)\n".utf8)
            try File.truncate(fd, to: 0)
            try File.write(fd, text, at: 0)
            try File.syncData(fd)
            return nil
        } catch {
            return error
        }
    }
}
