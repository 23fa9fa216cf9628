/// A record's identity: which conversation's event it holds. A plain value.
public struct RecordID: Hashable, Sendable, CustomStringConvertible {
    public let key: TranscriptKey
    public let seq: Int64

    public init(key: TranscriptKey, seq: Int64) {
        self.key = key
        self.seq = seq
    }

    /// The conversation's wire id (`c-BOOT-N`) and the seq.
    public var description: String { "c-\(key.boot)-\(key.number) seq \(seq)" }
}

/// Parses records out of bytes without doing I/O: one step at a time, "need more" at
/// the end instead of throwing, so the same code scans whole segments at recovery,
/// reads single records back, and runs under the fuzzer (FuzzSegments). Stateless.
public enum RecordScanner {
    public enum Step: Equatable, Sendable {
        case record(RecordView)
        /// The bytes end inside a record (or exactly at `offset`, `missing` 0).
        case needMore(missing: Int)
        /// The bytes at `offset` are not a record: no sync marker, a bad length, a
        /// checksum mismatch.
        case corrupt(String)
        /// Version 2: the header is intact, so the record's identity and extent are
        /// known, but its payload does not match its checksum.
        case damagedPayload(RecordView)
    }

    /// The record that starts at `offset` in `bytes`.
    public static func step(_ bytes: UnsafeRawBufferPointer, at offset: Int,
                            version: RecordFormat.Version = RecordFormat.current) -> Step {
        version == .v1 ? stepV1(bytes, at: offset) : stepV2(bytes, at: offset, suffix: version.suffixSize)
    }

    /// Versions 2 and 3 (`suffix`: the chain link's 32 bytes after the payload).
    private static func stepV2(_ bytes: UnsafeRawBufferPointer, at offset: Int, suffix: Int) -> Step {
        let available = bytes.count - offset
        for i in 0..<min(available, 4) where bytes[offset + i] != RecordFormat.sync[i] {
            return .corrupt("no record marker")
        }
        let prefix = RecordFormat.Version.v2.prefixSize
        guard available >= prefix else { return .needMore(missing: available == 0 ? 0 : prefix - available) }
        let headerCRC = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 36)]))
        guard headerCRC == RecordFormat.readLE(UInt32.self, bytes, at: offset + 36) else {
            return .corrupt("record header checksum mismatch")
        }
        let length = Int(RecordFormat.readLE(UInt32.self, bytes, at: offset + 4))
        guard length <= RecordFormat.maxPayload else { return .corrupt("record length \(length) out of range") }
        guard available >= prefix + length + suffix else { return .needMore(missing: prefix + length + suffix - available) }
        let view = RecordView(key: TranscriptKey(boot: RecordFormat.readLE(UInt32.self, bytes, at: offset + 8),
                                                 number: RecordFormat.readLE(UInt64.self, bytes, at: offset + 12)),
                              seq: Int64(bitPattern: RecordFormat.readLE(UInt64.self, bytes, at: offset + 20)),
                              ts: Int64(bitPattern: RecordFormat.readLE(UInt64.self, bytes, at: offset + 28)),
                              payload: (offset + prefix)..<(offset + prefix + length),
                              extent: offset..<(offset + prefix + length + suffix))
        let payloadCRC = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[view.payload]))
        guard payloadCRC == RecordFormat.readLE(UInt32.self, bytes, at: offset + 40) else { return .damagedPayload(view) }
        return .record(view)
    }

    private static func stepV1(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Step {
        let available = bytes.count - offset
        guard available >= 8 else { return .needMore(missing: available == 0 ? 0 : 8 - available) }
        let bodyLength = Int(RecordFormat.readLE(UInt32.self, bytes, at: offset))
        guard bodyLength >= 28, bodyLength <= 28 + RecordFormat.maxPayload else {
            return .corrupt("record length \(bodyLength) out of range")
        }
        guard available >= 8 + bodyLength else { return .needMore(missing: 8 + bodyLength - available) }
        let bodyStart = offset + 8
        let stored = RecordFormat.readLE(UInt32.self, bytes, at: offset + 4)
        let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(bodyStart + bodyLength)]))
        guard stored == computed else { return .corrupt("checksum mismatch") }
        return .record(RecordView(key: TranscriptKey(boot: RecordFormat.readLE(UInt32.self, bytes, at: bodyStart),
                                                     number: RecordFormat.readLE(UInt64.self, bytes, at: bodyStart + 4)),
                                  seq: Int64(bitPattern: RecordFormat.readLE(UInt64.self, bytes, at: bodyStart + 12)),
                                  ts: Int64(bitPattern: RecordFormat.readLE(UInt64.self, bytes, at: bodyStart + 20)),
                                  payload: (bodyStart + 28)..<(bodyStart + bodyLength),
                                  extent: offset..<(bodyStart + bodyLength)))
    }

    /// The segment's format version if `bytes` start with a valid segment header.
    public static func segmentVersion(_ bytes: UnsafeRawBufferPointer) -> RecordFormat.Version? {
        for version in [RecordFormat.Version.v3, .v2, .v1]
        where bytes.count >= version.headerSize && bytes.prefix(8).elementsEqual(version.magic) { return version }
        return nil
    }

    /// The segment number if `bytes` start with a valid segment header.
    public static func segmentNumber(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        segmentVersion(bytes) == nil ? nil : RecordFormat.readLE(UInt64.self, bytes, at: 8)
    }

    // MARK: Whole segments

    /// Bytes between whole records that are not records: set aside by recovery.
    public struct Damage: Equatable, Sendable {
        public var range: Range<Int>
        public var reason: String
        /// Records whose header survived in the range (version 2): lost, and named.
        public var identified: [RecordID] = []
        /// Sync markers in the range (version 2): about how many records it held.
        public var markers = 0
    }

    /// What scanning a segment found besides its records. A plain value.
    public struct Outcome: Sendable {
        /// The format the segment was read as (nil: no header and nothing to read).
        public var version: RecordFormat.Version?
        /// The header was not a valid one (it is also the first `damage`, 0..<16).
        public var headerDamaged = false
        /// Damaged ranges, in order; whole records lie between them.
        public var damage: [Damage] = []
        /// Length of the bytes to keep: up to the end of the last whole record. What
        /// follows is a torn tail (an unfinished write) or damage (the last `damage`).
        public var goodLength = 0
        /// Why the bytes after `goodLength` are not kept (nil: the scan reached the end).
        public var problem: String?
    }

    /// What scanning a whole segment found: its records, damage, where to cut.
    public struct Scan: Sendable {
        public var records: [RecordView] = []
        public var outcome = Outcome()
        public var goodLength: Int { outcome.goodLength }
        public var problem: String? { outcome.problem }
    }

    public static func scanSegment(_ bytes: UnsafeRawBufferPointer) -> Scan {
        var scan = Scan()
        scan.outcome = forEachRecord(in: bytes) { scan.records.append($0) }
        return scan
    }

    /// Calls `body` with each whole record of a segment's bytes in order, without
    /// collecting them (recovery of large segments). Damage between records is skipped
    /// to the next whole record (found by its sync marker, or by trying every offset in
    /// a version-1 segment) and described in the outcome; a bad header is read past by
    /// the version whose records follow it.
    public static func forEachRecord(in bytes: UnsafeRawBufferPointer, _ body: (RecordView) -> Void) -> Outcome {
        var out = Outcome()
        let smallestHeader = RecordFormat.Version.v1.headerSize
        guard bytes.count >= smallestHeader else {
            out.problem = bytes.isEmpty ? "empty" : "torn segment header"
            return out
        }
        let version: RecordFormat.Version
        if let found = segmentVersion(bytes) {
            version = found
        } else if let guess = [RecordFormat.Version.v3, .v2, .v1].first(where: {
            bytes.count >= $0.headerSize && nextRecord(in: bytes, from: $0.headerSize, version: $0) == $0.headerSize
        }) ?? [RecordFormat.Version.v3, .v2, .v1].first(where: {
            bytes.count >= $0.headerSize && nextRecord(in: bytes, from: $0.headerSize, version: $0) != nil
        }) {
            version = guess
            out.headerDamaged = true
            out.damage.append(Damage(range: 0..<guess.headerSize, reason: "bad segment header"))
        } else if bytes.count < RecordFormat.Version.v3.headerSize, bytes.prefix(8).elementsEqual(RecordFormat.Version.v3.magic) {
            out.problem = "torn segment header"
            return out
        } else {
            out.problem = "bad segment header and no record after it"
            return out
        }
        out.version = version
        var offset = version.headerSize
        out.goodLength = offset
        while true {
            let reason: String
            var torn = false
            switch step(bytes, at: offset, version: version) {
            case .record(let view):
                body(view)
                offset = view.extent.upperBound
                out.goodLength = offset
                continue
            case .needMore(let missing):
                if missing == 0 { return out }
                reason = "torn record (\(missing) bytes missing)"
                torn = true
            case .corrupt(let why):
                reason = why
            case .damagedPayload:
                reason = "payload checksum mismatch"
            }
            if let next = nextRecord(in: bytes, from: offset + 1, version: version) {
                out.damage.append(describe(bytes, offset..<next, version: version, reason: reason))
                offset = next
                continue
            }
            // Nothing whole follows. A torn tail is an unfinished write (a crash): cut.
            // Anything else is damage: set aside, then cut.
            out.problem = "\(reason) at offset \(offset)"
            if !torn {
                out.damage.append(describe(bytes, offset..<bytes.count, version: version, reason: reason))
            }
            return out
        }
    }

    /// Where the next whole record starts at or after `start` (nil: none does).
    static func nextRecord(in bytes: UnsafeRawBufferPointer, from start: Int, version: RecordFormat.Version) -> Int? {
        var p = start
        switch version {
        case .v2, .v3:
            while p + 4 <= bytes.count {
                if bytes[p] == RecordFormat.sync[0], case .record = step(bytes, at: p, version: version) { return p }
                p += 1
            }
        case .v1:
            while p + 8 <= bytes.count {
                if case .record = step(bytes, at: p, version: .v1) { return p }
                p += 1
            }
        }
        return nil
    }

    /// A damaged range with what can still be read of it: the records whose header
    /// survived (version 2) and the number of sync markers.
    static func describe(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, version: RecordFormat.Version,
                         reason: String) -> Damage {
        var damage = Damage(range: range, reason: reason)
        guard version != .v1 else { return damage }
        var p = range.lowerBound
        while p + 4 <= range.upperBound {
            if bytes[p] == RecordFormat.sync[0], bytes[p + 1] == RecordFormat.sync[1], bytes[p + 2] == RecordFormat.sync[2],
               bytes[p + 3] == RecordFormat.sync[3] {
                damage.markers += 1
                if case .damagedPayload(let view) = step(bytes, at: p, version: version) {
                    damage.identified.append(RecordID(key: view.key, seq: view.seq))
                }
            }
            p += 1
        }
        return damage
    }
}
