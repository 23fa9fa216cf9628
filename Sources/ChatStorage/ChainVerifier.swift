import Posix

/// The first place the hash chain does not hold: which segment file, at which byte
/// offset, which record (as far as its header can be read) and why. A plain value.
public struct ChainBreak: Sendable, Equatable, CustomStringConvertible {
    public var segment: String
    public var offset: Int
    public var record: RecordID?
    public var reason: String

    public var description: String {
        "\(segment) offset \(offset)" + (record.map { ": conversation c-\($0.key.boot)-\($0.key.number) seq \($0.seq)" } ?? "")
            + ": \(reason)"
    }
}

/// What `switchboard verify` found. A plain value.
public struct ChainReport: Sendable {
    public var segments = 0
    /// Records whose link was recomputed and matched.
    public var verified = 0
    /// Segments written before the chain (formats 1 and 2): read, not verifiable.
    public var unchained: [UInt64] = []
    /// The first segment of the chain, when older ones were removed (retention): its
    /// head is taken as written.
    public var chainStart: UInt64?
    /// The link after the last record verified.
    public var head = ChainHash.zero
    /// The last verified record of each conversation and its link (export checks).
    public var links: [TranscriptKey: (seq: Int64, link: ChainHash)] = [:]
    /// An unfinished write at the end of the newest segment (recovery cuts it): not a
    /// break.
    public var tornTail: String?
    public var firstBreak: ChainBreak?
    /// The conversation whose verified records to keep (`verify-export`), and them:
    /// seq, link and payload, in order.
    public var collect: TranscriptKey?
    public var collected: [(seq: Int64, link: ChainHash, payload: [UInt8])] = []
    /// Records an erasure rewrote (listed by its marker, later in the log): their
    /// links are taken as the marker lists them.
    public var erased: [RecordID: ChainHash] = [:]
    /// How many of the verified records were such.
    public var erasedVerified = 0

    public var isIntact: Bool { firstBreak == nil }

    public init() {}
}

/// Walks every segment of a transcript directory in order and recomputes every
/// record's chain link: SHA-256(previous link ‖ bytes from the length field to the end
/// of the payload), checking each segment's head against the previous segment's last
/// link. Reads only; safe beside a running broker (the newest segment's tail may be
/// mid-write and is then reported, not counted as a break). Runs on the caller's thread.
public enum ChainVerifier {
    /// `collect`: a conversation whose verified records the report keeps.
    public static func verify(directory: String, collect: TranscriptKey? = nil) throws(PosixError) -> ChainReport {
        var report = ChainReport()
        report.collect = collect
        let numbers = try File.list(directory).compactMap { name -> UInt64? in
            guard name.hasSuffix(".seg") else { return nil }
            return UInt64(name.dropLast(4))
        }.sorted()
        // First pass: the erasure markers, which come after the records they rewrote.
        for number in numbers {
            let bytes = try readWhole(SpillWriter.path(directory, segment: number))
            bytes.withUnsafeBytes { raw in
                _ = RecordScanner.forEachRecord(in: raw) { view in
                    let payload = UnsafeRawBufferPointer(rebasing: raw[view.payload])
                    guard RecordKind.isErasure(payload) else { return }
                    let text = String(decoding: payload, as: UTF8.self)
                    guard let key = field("conversation", in: text).flatMap(LegalHolds.key), let list = field("rewritten", in: text) else { return }
                    for record in RewrittenRecord.parse(list) { report.erased[RecordID(key: key, seq: record.seq)] = record.link }
                }
            }
        }
        var expected: ChainHash?
        var previousNumber: UInt64?
        for (position, number) in numbers.enumerated() {
            let path = SpillWriter.path(directory, segment: number)
            let name = String(path.split(separator: "/").last!)
            let bytes = try readWhole(path)
            report.segments += 1
            let isNewest = position == numbers.count - 1
            let broken = bytes.withUnsafeBytes { raw -> ChainBreak? in
                verifySegment(raw, name: name, number: number, newest: isNewest, expected: &expected,
                              previousNumber: previousNumber, report: &report)
            }
            previousNumber = number
            if let broken {
                report.firstBreak = broken
                return report
            }
        }
        return report
    }

    /// The string value of `"name":"…"` in a stored event's JSON (no escapes in the
    /// fields read here: a wire id and a list of `seq:hex`).
    static func field(_ name: String, in text: String) -> Substring? {
        let needle = Array("\"\(name)\":\"".utf8)
        let bytes = Array(text.utf8)
        guard bytes.count >= needle.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle) {
            let from = start + needle.count
            guard let end = bytes[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return Substring(String(decoding: bytes[from..<end], as: UTF8.self))
        }
        return nil
    }

    static func readWhole(_ path: String) throws(PosixError) -> [UInt8] {
        let fd = try File.open(path)
        defer { File.close(fd) }
        let size = Int(try File.size(fd))
        return try File.read(fd, count: size, at: 0)
    }

    /// One segment's bytes; `expected` is the previous segment's last link (nil before
    /// the first chained segment) and becomes this one's.
    public static func verifySegment(_ bytes: UnsafeRawBufferPointer, name: String, number: UInt64, newest: Bool,
                              expected: inout ChainHash?, previousNumber: UInt64?,
                              report: inout ChainReport) -> ChainBreak? {
        guard let version = RecordScanner.segmentVersion(bytes) else {
            return ChainBreak(segment: name, offset: 0, record: nil, reason: "not a segment header (damaged or not a segment file)")
        }
        guard RecordScanner.segmentNumber(bytes) == number else {
            return ChainBreak(segment: name, offset: 8, record: nil, reason: "the header names segment \(RecordScanner.segmentNumber(bytes)!)")
        }
        guard version.isChained else {
            if expected != nil {
                return ChainBreak(segment: name, offset: 0, record: nil,
                                  reason: "format \(version.rawValue) (no chain) after chained segments")
            }
            report.unchained.append(number)
            return nil
        }
        let head = ChainHash(bytes, at: 16)
        if let expected {
            guard head == expected else {
                return ChainBreak(segment: name, offset: 16, record: nil,
                                  reason: "segment head \(head.hex.prefix(16))… is not the last link of segment \(previousNumber!)")
            }
        } else if head != .zero {
            // Older segments were removed (retention): the chain starts here, its head
            // taken as written.
            report.chainStart = number
        }
        var link = head
        var offset = version.headerSize
        while true {
            switch RecordScanner.step(bytes, at: offset, version: version) {
            case .record(let view):
                let computed = link.next(UnsafeRawBufferPointer(rebasing: bytes[view.linked]))
                let stored = ChainHash(bytes, at: view.link!)
                let id = RecordID(key: view.key, seq: view.seq)
                if computed != stored {
                    // A record an erasure rewrote keeps the link its marker lists.
                    guard report.erased[id] == stored else {
                        return ChainBreak(segment: name, offset: offset, record: id,
                                          reason: "chain link does not match the record and the link before it")
                    }
                    report.erasedVerified += 1
                }
                link = stored
                report.links[view.key] = (view.seq, stored)
                if view.key == report.collect { report.collected.append((view.seq, stored, Array(bytes[view.payload]))) }
                report.verified += 1
                offset = view.extent.upperBound
            case .needMore(let missing):
                if missing > 0 {
                    let what = "torn record at offset \(offset) (\(missing) bytes missing)"
                    guard newest else {
                        return ChainBreak(segment: name, offset: offset, record: rawIdentity(bytes, at: offset), reason: what)
                    }
                    report.tornTail = "\(name): \(what); recovery cuts it at the next start"
                }
                expected = link
                report.head = link
                return nil
            case .corrupt(let why):
                return ChainBreak(segment: name, offset: offset, record: rawIdentity(bytes, at: offset),
                                  reason: "\(why) (record fields as read)")
            case .damagedPayload(let view):
                return ChainBreak(segment: name, offset: offset, record: RecordID(key: view.key, seq: view.seq),
                                  reason: "payload checksum mismatch")
            }
        }
    }

    /// The conversation and seq fields of a record whose header does not check out,
    /// as they read (the damage may be in them).
    static func rawIdentity(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> RecordID? {
        guard bytes.count - offset >= 28 else { return nil }
        return RecordID(key: TranscriptKey(boot: RecordFormat.readLE(UInt32.self, bytes, at: offset + 8),
                                           number: RecordFormat.readLE(UInt64.self, bytes, at: offset + 12)),
                        seq: Int64(bitPattern: RecordFormat.readLE(UInt64.self, bytes, at: offset + 20)))
    }
}
