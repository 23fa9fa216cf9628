import Posix

/// Damaged bytes recovery found in a segment and set aside. A plain value.
public struct DamagedRange: Sendable, Equatable {
    public var segment: UInt64
    public var range: Range<Int>
    public var reason: String
    /// The file beside the segment that holds a copy of the bytes (its name).
    public var keptIn: String
    /// Records whose header survived in the range: lost, and named.
    public var identified: [RecordID]
    /// Sync markers in the range (version 2): about how many records it held.
    public var markers: Int
}

/// What start-up found in the data directory. A plain value.
public struct RecoveryReport: Sendable {
    public var segments = 0
    public var records = 0
    public var bytes: Int64 = 0
    /// What was repaired: torn tails cut, damage set aside, segments removed (one
    /// line each, also logged).
    public var repairs: [String] = []
    /// Damaged ranges skipped (kept in the segment, copied beside it).
    public var damaged: [DamagedRange] = []
    /// Events known to be lost to damage: named by a surviving header, or missing
    /// between a conversation's surviving events. Sorted.
    public var lost: [RecordID] = []
    public var maxBoot: UInt32 = 0
    public var nextSegment: UInt64 = 1
    /// The chain link after the last whole record of the newest segment (its header's
    /// link if it has none; zero when it predates the chain): where the chain goes on.
    public var chainHead = ChainHash.zero
    /// Erasure markers found (`erased` events), in order.
    public var erasures: [RecordID] = []
    /// Why the directory could not be read (nil: it could).
    public var failure: String?

    /// Records the damaged ranges held, as far as can be told: the larger of the events
    /// named lost and the sync markers found in the damage.
    public var lostRecords: Int { max(lost.count, damaged.reduce(0) { $0 + max($1.markers, $1.identified.count) }) }
}

/// Start-up: reads every segment file in order and rebuilds the index from
/// conversation to records. Damage between records is skipped to the next whole
/// record: the damaged bytes stay where they are (the index points past them) and a
/// copy goes to `<segment>.damaged-<offset>` beside the segment; a damaged header is
/// rewritten. A torn tail (an unfinished write) is cut at the last whole record; a
/// damaged tail is copied aside, then cut. Everything is logged and reported
/// (`RecoveryReport`). Runs once, on the thread that opens the store, before the
/// writer starts.
enum Recovery {
    /// `links`: each conversation's newest record's chain link, read from the records
    /// (what an export names as its chain head).
    static func run(directory: String, into index: inout RecordIndex,
                    links: inout [TranscriptKey: ChainHash]) -> (RecoveryReport, [SegmentInfo]) {
        var report = RecoveryReport()
        var infos: [SegmentInfo] = []
        let names: [String]
        do {
            try File.makeDirectory(directory)
            names = try File.list(directory)
        } catch {
            report.failure = "cannot read \(directory): \(error)"
            return (report, infos)
        }
        let numbers = names.compactMap { name -> UInt64? in
            guard name.hasSuffix(".seg") else { return nil }
            return UInt64(name.dropLast(4))
        }.sorted()
        var identified: [RecordID] = []
        for number in numbers {
            let path = SpillWriter.path(directory, segment: number)
            do {
                let fd = try File.open(path, write: true)
                defer { File.close(fd) }
                let size = Int(try File.size(fd))
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8)
                defer { buffer.deallocate() }
                let count = try File.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size]), at: 0)
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                var info = SegmentInfo(number: number, bytes: 0, newestTS: 0, ages: RecordAges())
                var records = 0
                var maxBoot = report.maxBoot
                var head = ChainHash.zero
                var erasures = report.erasures
                if RecordScanner.segmentVersion(bytes) == .v3 { head = ChainHash(bytes, at: 16) }
                let outcome = RecordScanner.forEachRecord(in: bytes) { record in
                    if let link = record.link {
                        head = ChainHash(bytes, at: link)
                        links[record.key] = head
                    }
                    if !index.add(record.key, seq: record.seq, segment: number, offset: Int64(record.extent.lowerBound)) {
                        Log.warning("transcripts: recovery: \(path): seq \(record.seq) of \(record.key) repeats; skipped")
                    }
                    info.newestTS = max(info.newestTS, record.ts)
                    let payload = UnsafeRawBufferPointer(rebasing: bytes[record.payload])
                    info.ages.note(RecordKind.of(payload), record.ts)
                    if RecordKind.isErasure(payload) { erasures.append(RecordID(key: record.key, seq: record.seq)) }
                    maxBoot = max(maxBoot, record.key.boot)
                    records += 1
                }
                report.maxBoot = maxBoot
                report.nextSegment = number + 1
                report.chainHead = head
                report.erasures = erasures
                guard let version = outcome.version else {
                    var line = "segment \(path): \(outcome.problem ?? "empty"); removed"
                    if count >= RecordFormat.segmentHeaderSize {
                        let kept = try setAside(bytes, 0..<count, of: path)
                        line += " (its \(count) bytes kept in \(kept))"
                    }
                    Log.warning("transcripts: recovery: \(line)")
                    report.repairs.append(line)
                    File.close(fd)
                    try? File.remove(path)
                    continue
                }
                var tailKeptIn: String?
                for damage in outcome.damage {
                    let kept = try setAside(bytes, damage.range, of: path)
                    let named = damage.identified.isEmpty ? "" : ": " + damage.identified.map(\.description).joined(separator: ", ")
                    let what = "\(damage.range.count) bytes, \(damage.markers) record marker(s)\(named)"
                    if outcome.problem != nil && damage.range.upperBound == count {
                        tailKeptIn = "\(what); kept in \(kept)"  // said with the cut below
                    } else {
                        let line = "segment \(path): \(damage.reason) at bytes \(damage.range.lowerBound)..<\(damage.range.upperBound) "
                            + "(\(what)); skipped, kept in \(kept)"
                        Log.warning("transcripts: recovery: \(line)")
                        report.repairs.append(line)
                    }
                    report.damaged.append(DamagedRange(segment: number, range: damage.range, reason: damage.reason, keptIn: kept,
                                                       identified: damage.identified, markers: damage.markers))
                    identified += damage.identified
                }
                if outcome.headerDamaged {
                    var header: [UInt8] = []
                    // The link bytes are kept as found: if they were what was damaged,
                    // `switchboard verify` names this segment's head.
                    let link = version == .v3 && count >= 48 ? ChainHash(bytes, at: 16) : .zero
                    RecordFormat.appendSegmentHeader(number: number, version: version, chain: link, to: &header)
                    try File.write(fd, header, at: 0)
                    try File.syncData(fd)
                }
                if let problem = outcome.problem {
                    let line = "segment \(path): \(problem); cut to \(outcome.goodLength) of \(count) bytes"
                        + (tailKeptIn.map { " (damaged, not torn: \($0))" } ?? "")
                    Log.warning("transcripts: recovery: \(line)")
                    report.repairs.append(line)
                    try File.truncate(fd, to: Int64(outcome.goodLength))
                    try File.syncData(fd)
                }
                info.bytes = Int64(outcome.goodLength)
                report.segments += 1
                report.records += records
                report.bytes += Int64(outcome.goodLength)
                infos.append(info)
            } catch {
                report.failure = "cannot recover \(path): \(error)"
                Log.error("transcripts: recovery: \(report.failure!)")
            }
        }
        report.lost = Array(Set(identified).union(index.gaps)).sorted {
            ($0.key.boot, $0.key.number, $0.seq) < ($1.key.boot, $1.key.number, $1.seq)
        }
        return (report, infos)
    }

    /// Copies `range` of a segment's bytes to `<segment>.damaged-<offset>` (synced) and
    /// returns the file's name. Damage between records stays in the segment, so each
    /// start finds it again and writes the same bytes; a damaged header or tail is
    /// repaired after its copy, so its file is never overwritten by a later start.
    static func setAside(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, of path: String) throws(PosixError) -> String {
        let target = "\(path).damaged-\(range.lowerBound)"
        let fd = try File.open(target, write: true, create: true)
        defer { File.close(fd) }
        try File.truncate(fd, to: 0)
        try File.write(fd, UnsafeRawBufferPointer(rebasing: bytes[range]), at: 0)
        try File.syncData(fd)
        return String(target.split(separator: "/").last ?? Substring(target))
    }
}

extension Recovery {
    /// Writes what recovery found to `recovery-<boot>.json` in the directory, for an
    /// operator or a test to read (protocol/storage.md, "Recovery"); logs a failure.
    static func writeReport(_ report: RecoveryReport, boot: UInt32, directory: String) {
        let path = "\(directory)/recovery-\(boot).json"
        let bytes = Array(report.json(boot: boot).utf8)
        do throws(PosixError) {
            let fd = try File.open(path, write: true, create: true)
            defer { File.close(fd) }
            try File.truncate(fd, to: 0)
            try File.write(fd, bytes, at: 0)
            try File.syncData(fd)
            let named = report.lost.prefix(20).map(\.description).joined(separator: ", ")
                + (report.lost.count > 20 ? ", …" : "")
            Log.warning("transcripts: recovery: \(report.lostRecords) record(s) lost to damage"
                        + (named.isEmpty ? "" : " (\(named))") + "; report in \(path)")
        } catch {
            Log.error("transcripts: recovery: cannot write \(path): \(error)")
        }
    }
}

extension RecoveryReport {
    /// The report as JSON: `boot`, `records` (recovered), `lost_records`, `lost`
    /// (conversation wire id and seq of each event known lost), `damaged` (segment,
    /// offset, length, reason, kept_in, markers, named) and `repairs` (the log lines).
    func json(boot: UInt32) -> String {
        func string(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        func id(_ r: RecordID) -> String { "{\"conversation\": \"c-\(r.key.boot)-\(r.key.number)\", \"seq\": \(r.seq)}" }
        let damagedJSON = damaged.map { d in
            "{\"segment\": \(d.segment), \"offset\": \(d.range.lowerBound), \"length\": \(d.range.count), "
                + "\"reason\": \(string(d.reason)), \"kept_in\": \(string(d.keptIn)), \"markers\": \(d.markers), "
                + "\"named\": [\(d.identified.map(id).joined(separator: ", "))]}"
        }
        return "{\"boot\": \(boot), \"segments\": \(segments), \"records\": \(records), \"lost_records\": \(lostRecords),\n"
            + " \"lost\": [\(lost.map(id).joined(separator: ", "))],\n"
            + " \"damaged\": [\(damagedJSON.joined(separator: ",\n  "))],\n"
            + " \"repairs\": [\(repairs.map(string).joined(separator: ",\n  "))]}\n"
    }
}
