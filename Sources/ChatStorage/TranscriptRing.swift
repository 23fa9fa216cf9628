import DequeModule

/// The recent events of every conversation, in memory, within a byte budget: what
/// resume and recent reads are served from without touching the disk.
///
/// Each conversation keeps a contiguous run of its newest events; the oldest entry of
/// all (append order) is evicted first, and only once the log position it ends at is
/// durable (`evict(durable:)`), so an event never exists nowhere. Owned by the domain
/// thread.
public struct TranscriptRing {
    /// Bytes counted per entry beyond its record (array header, bookkeeping).
    public static let entryOverhead = 64
    /// Bytes counted per conversation that has entries (its deque and map slot).
    public static let streamOverhead = 96

    struct Entry {
        let seq: Int64
        let payload: [UInt8]
        let end: UInt64
        var cost: Int { RecordFormat.recordSize(payload: payload.count) + TranscriptRing.entryOverhead }
    }

    public let budget: Int
    /// Bytes counted now (see the overheads); above `budget` only while entries are
    /// waiting for the disk.
    public private(set) var bytes = 0
    public private(set) var entryCount = 0
    private var streams: [TranscriptKey: Deque<Entry>] = [:]
    private var order = Deque<TranscriptKey>()

    public init(budget: Int) {
        self.budget = budget
    }

    public var conversationCount: Int { streams.count }

    /// Adds the newest event of `key`; `end` is the log position after its record.
    public mutating func append(_ key: TranscriptKey, seq: Int64, payload: [UInt8], end: UInt64) {
        let entry = Entry(seq: seq, payload: payload, end: end)
        // One hash lookup per event (this runs for every message relayed).
        if let index = streams.index(forKey: key) {
            streams.values[index].append(entry)
        } else {
            streams[key] = [entry]
            bytes += TranscriptRing.streamOverhead
        }
        order.append(key)
        bytes += entry.cost
        entryCount += 1
    }

    /// Drops the oldest entries while over budget, never one that is not yet durable.
    public mutating func evict(durable: UInt64) {
        while bytes > budget, let key = order.first {
            guard let index = streams.index(forKey: key), let entry = streams.values[index].first,
                  entry.end <= durable else { return }
            order.removeFirst()
            streams.values[index].removeFirst()
            bytes -= entry.cost
            entryCount -= 1
            if streams.values[index].isEmpty {
                streams.remove(at: index)
                bytes -= TranscriptRing.streamOverhead
            }
        }
    }

    /// The oldest seq of `key` held here (nil: none).
    public func firstSeq(of key: TranscriptKey) -> Int64? { streams[key]?.first?.seq }

    /// Replaces the payload of event `seq` of `key` with one of the same length (an
    /// erasure); nothing when it is not held.
    public mutating func replace(_ key: TranscriptKey, seq: Int64, payload: [UInt8]) {
        guard var stream = streams[key], let first = stream.first?.seq, seq >= first, Int(seq - first) < stream.count else { return }
        let index = Int(seq - first)
        let old = stream[index]
        precondition(old.payload.count == payload.count, "an erasure keeps the payload's length")
        stream[index] = Entry(seq: old.seq, payload: payload, end: old.end)
        streams[key] = stream
    }

    /// The payload of event `seq` of `key`, if held here.
    public func payload(of key: TranscriptKey, seq: Int64) -> [UInt8]? {
        guard let stream = streams[key], let first = stream.first?.seq, seq >= first else { return nil }
        let index = Int(seq - first)
        return index < stream.count ? stream[index].payload : nil
    }
}
