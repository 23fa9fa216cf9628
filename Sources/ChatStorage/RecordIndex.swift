/// Where each conversation's records lie on disk: for every conversation its first
/// seq still stored and one packed location (segment number << 32 | offset) per event,
/// so seq n of a conversation is one array lookup. Rebuilt by recovery; owned by the
/// domain thread.
public struct RecordIndex {
    struct Locations {
        var firstSeq: Int64
        var packed: [UInt64] = []
        var lastSeq: Int64 { firstSeq + Int64(packed.count) - 1 }
    }

    private(set) var streams: [TranscriptKey: Locations] = [:]
    /// Events missing between a conversation's stored ones (recovery skipped damage):
    /// their slots hold `lost`, and reads step over them.
    public private(set) var gaps: [RecordID] = []
    static let lost = UInt64.max
    /// A longer gap is not filled (it would cost 8 bytes a seq): the run restarts there.
    static let maxGap: Int64 = 1 << 16

    public init() {}

    public var conversationCount: Int { streams.count }
    public var keys: some Collection<TranscriptKey> { streams.keys }

    static func pack(segment: UInt64, offset: Int64) -> UInt64 { segment << 32 | UInt64(offset) }
    static func unpack(_ packed: UInt64) -> (segment: UInt64, offset: Int64) { (packed >> 32, Int64(packed & 0xFFFF_FFFF)) }

    /// The newest seq of `key` (0 if it has none).
    public func lastSeq(of key: TranscriptKey) -> Int64 { streams[key]?.lastSeq ?? 0 }

    /// The oldest seq of `key` still stored (nil if it has none).
    public func firstSeq(of key: TranscriptKey) -> Int64? { streams[key]?.firstSeq }

    /// Records where event `seq` of `key` lies. Returns false (and records nothing) for
    /// a seq at or below the newest one; a gap restarts the conversation's run there.
    @discardableResult
    public mutating func add(_ key: TranscriptKey, seq: Int64, segment: UInt64, offset: Int64) -> Bool {
        let location = RecordIndex.pack(segment: segment, offset: offset)
        guard let index = streams.index(forKey: key) else {
            streams[key] = Locations(firstSeq: seq, packed: [location])
            return true
        }
        // In place (Values' subscript), so the array grows without a copy.
        let last = streams.values[index].lastSeq
        guard seq > last else { return false }
        if seq - last - 1 > RecordIndex.maxGap {
            streams.values[index] = Locations(firstSeq: seq)
        } else if seq != last + 1 {
            for missing in (last + 1)..<seq {
                streams.values[index].packed.append(RecordIndex.lost)
                gaps.append(RecordID(key: key, seq: missing))
            }
        }
        streams.values[index].packed.append(location)
        return true
    }

    /// Where event `seq` of `key` lies.
    public func location(of key: TranscriptKey, seq: Int64) -> (segment: UInt64, offset: Int64)? {
        guard let stream = streams[key], seq >= stream.firstSeq, seq <= stream.lastSeq else { return nil }
        let packed = stream.packed[Int(seq - stream.firstSeq)]
        return packed == RecordIndex.lost ? nil : RecordIndex.unpack(packed)
    }

    /// True for an event recovery found missing (lost to damage).
    public func isLost(_ key: TranscriptKey, seq: Int64) -> Bool {
        guard let stream = streams[key], seq >= stream.firstSeq, seq <= stream.lastSeq else { return false }
        return stream.packed[Int(seq - stream.firstSeq)] == RecordIndex.lost
    }

    /// Forgets every location in segments numbered below `segment` (retention removed
    /// them). A conversation of the running boot `live` that lost all its records keeps
    /// an empty entry, so its next event is still numbered after its last one.
    public mutating func removeSegments(below segment: UInt64, live: UInt32) {
        let limit = segment << 32
        for key in Array(streams.keys) {
            var stream = streams[key]!
            guard let first = stream.packed.first(where: { $0 != RecordIndex.lost }), first < limit else { continue }
            // Lost slots (`lost`, the largest value) go with the removed run before them.
            guard let lastRemoved = stream.packed.lastIndex(where: { $0 < limit }) else { continue }
            var drop = lastRemoved + 1
            while drop < stream.packed.count && stream.packed[drop] == RecordIndex.lost { drop += 1 }
            if drop == stream.packed.count {
                streams[key] = key.boot == live ? Locations(firstSeq: stream.lastSeq + 1) : nil
            } else {
                streams[key] = nil
                stream.packed.removeFirst(drop)
                stream.firstSeq += Int64(drop)
                streams[key] = stream
            }
        }
    }
}
