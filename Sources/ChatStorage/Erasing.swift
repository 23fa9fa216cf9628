import Posix

/// One record whose payload an erasure rewrote in place, and the chain link it had
/// (and keeps): the erasure marker lists these, so `verify` accepts the record's link
/// without recomputing it from the words that are gone. A plain value.
public struct RewrittenRecord: Sendable, Equatable {
    public var seq: Int64
    public var link: ChainHash

    public init(seq: Int64, link: ChainHash) {
        self.seq = seq
        self.link = link
    }

    /// `seq:hex` pairs joined by commas: how a marker's payload carries them.
    public static func list(_ records: [RewrittenRecord]) -> String {
        records.map { "\($0.seq):\($0.link.hex)" }.joined(separator: ",")
    }

    public static func parse(_ text: some StringProtocol) -> [RewrittenRecord] {
        text.split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let seq = Int64(parts[0]), let link = ChainHash(hex: parts[1]) else { return nil }
            return RewrittenRecord(seq: seq, link: link)
        }
    }
}

extension TranscriptLog {
    public enum EraseError: Error, Equatable {
        /// Some of the conversation's records have not reached the disk yet: try again.
        case notWrittenYet
        /// A segment could not be read or rewritten.
        case io(String)
    }

    /// Rewrites in place the payloads of `key`'s records up to `through` that `scrub`
    /// changes (same length; nil: leave it), in the segment files and in the ring, and
    /// syncs them. Records of segments older than format 3 are left (they carry no
    /// link to keep). Returns what was rewritten, with each record's link, for the
    /// erasure marker that must follow (domain thread).
    public func erase(_ key: TranscriptKey, through: Int64, scrub: ([UInt8]) -> [UInt8]?) throws(EraseError) -> [RewrittenRecord] {
        flush()
        guard progress.written >= appended else { throw .notWrittenYet }
        guard let first = index.firstSeq(of: key) else { return [] }
        var rewritten: [RewrittenRecord] = []
        var seq = first
        while seq <= min(through, index.lastSeq(of: key)) {
            defer { seq += 1 }
            guard let (number, offset) = index.location(of: key, seq: seq) else { continue }
            let path = SpillWriter.path(configuration.directory, segment: number)
            do {
                let fd = try File.open(path, write: true)
                defer { File.close(fd) }
                let header = try File.read(fd, count: RecordFormat.Version.v3.headerSize, at: 0)
                guard header.withUnsafeBytes({ RecordScanner.segmentVersion($0) }) == .v3 else { continue }
                let prefix = try File.read(fd, count: RecordFormat.Version.v3.prefixSize, at: offset)
                let length = prefix.withUnsafeBytes { Int(RecordFormat.readLE(UInt32.self, $0, at: 4)) }
                let record = try File.read(fd, count: RecordFormat.recordSize(payload: length), at: offset)
                guard record.count == RecordFormat.recordSize(payload: length),
                      case .record(let view) = record.withUnsafeBytes({ RecordScanner.step($0, at: 0, version: .v3) }),
                      view.key == key, view.seq == seq else { throw EraseError.io("segment \(number) offset \(offset) is not \(key) seq \(seq)") }
                let payload = Array(record[view.payload])
                guard let scrubbed = scrub(payload), scrubbed != payload else { continue }
                precondition(scrubbed.count == payload.count, "an erasure keeps the payload's length")
                var crc: [UInt8] = []
                RecordFormat.appendLE(CRC32.checksum(scrubbed), to: &crc)
                try File.write(fd, crc + scrubbed, at: offset + 40)
                try File.syncData(fd)
                rewritten.append(RewrittenRecord(seq: seq, link: record.withUnsafeBytes { ChainHash($0, at: view.link!) }))
                replaceInRing(key, seq: seq, payload: scrubbed)
            } catch {
                let why = (error as? EraseError).map { "\($0)" } ?? "cannot rewrite \(path): \(error)"
                // Records already rewritten must still get their marker, or the chain
                // would break at them: stop here and report what was done.
                guard rewritten.isEmpty else {
                    Log.error("transcripts: erasure of \(key) stopped at seq \(seq): \(why)")
                    return rewritten
                }
                throw .io(why)
            }
        }
        return rewritten
    }
}
