import Posix

/// What start-up found in the data directory. A plain value.
public struct RecoveryReport: Sendable {
    public var segments = 0
    public var records = 0
    public var bytes: Int64 = 0
    /// Torn or corrupt tails that were cut (one line each, also logged).
    public var repairs: [String] = []
    public var maxBoot: UInt32 = 0
    public var nextSegment: UInt64 = 1
    /// Why the directory could not be read (nil: it could).
    public var failure: String?
}

/// Start-up: reads every segment file in order, cuts a torn or corrupt tail at the
/// last good record (truncating the file, and logging it), and rebuilds the index
/// from conversation to records. Runs once, on the thread that opens the store,
/// before the writer starts.
enum Recovery {
    static func run(directory: String, into index: inout RecordIndex) -> (RecoveryReport, [SegmentInfo]) {
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
                var info = SegmentInfo(number: number, bytes: 0, newestTS: 0)
                var goodLength = 0
                var records = 0
                var maxBoot = report.maxBoot
                let problem = RecordScanner.forEachRecord(in: bytes, goodLength: &goodLength) { record in
                    if !index.add(record.key, seq: record.seq, segment: number, offset: Int64(record.extent.lowerBound)) {
                        Log.warning("transcripts: recovery: \(path): seq \(record.seq) of \(record.key) repeats; skipped")
                    }
                    info.newestTS = max(info.newestTS, record.ts)
                    maxBoot = max(maxBoot, record.key.boot)
                    records += 1
                }
                report.maxBoot = maxBoot
                report.nextSegment = number + 1
                if goodLength == 0 {
                    let line = "segment \(path): \(problem ?? "empty"); removed"
                    Log.warning("transcripts: recovery: \(line)")
                    report.repairs.append(line)
                    File.close(fd)
                    try? File.remove(path)
                    continue
                }
                info.bytes = Int64(goodLength)
                if let problem {
                    let line = "segment \(path): \(problem); cut to \(goodLength) of \(count) bytes"
                    Log.warning("transcripts: recovery: \(line)")
                    report.repairs.append(line)
                    try File.truncate(fd, to: Int64(goodLength))
                    try File.syncData(fd)
                }
                report.segments += 1
                report.records += records
                report.bytes += Int64(goodLength)
                infos.append(info)
            } catch {
                report.failure = "cannot recover \(path): \(error)"
                Log.error("transcripts: recovery: \(report.failure!)")
            }
        }
        return (report, infos)
    }
}
