import ChatServer
import Redis

/// libFuzzer entry point for what a cluster node reads from Redis: the first byte picks
/// the reader; the rest is a RESP reply (for the heartbeat, the command log's XREAD and
/// a conversation's XRANGE), a relay batch or one event of it as published, a command log entry's
/// payload (`LogEnvelope`), or a snapshot's body (JSON, `ClusterSnapshots.decode`). Any refusal is fine; a crash, a hang or unbounded
/// memory is not. What reads must write back to bytes that read the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCluster(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let rest = UnsafeRawBufferPointer(rebasing: bytes[1...])
    if bytes[0] % 6 == 5 {
        // A deflated body says how big its JSON is; past 16 MB the allocation, not the
        // parsing, would be what is tested (decode caps it at 1 GiB).
        if rest.count >= 9, rest[0] == UInt8(ascii: "Z"), rest[1...8].reduce(UInt64(0), { $0 << 8 | UInt64($1) }) > 1 << 24 {
            return 0
        }
        if let snapshot = try? ClusterSnapshots.decode(Array(rest)) {
            guard let again = try? ClusterSnapshots.encode(snapshot) else { fatalError("a read snapshot does not encode") }
            precondition((try? ClusterSnapshots.decode(again)) != nil, "snapshot round trip")
        }
        return 0
    }
    if bytes[0] % 6 == 4 {
        if let envelope = try? LogEnvelope(decoding: Array(rest)) {
            guard let again = try? envelope.encoded() else { fatalError("a read envelope does not encode") }
            precondition((try? LogEnvelope(decoding: again)) == envelope, "envelope round trip")
        }
        return 0
    }
    if bytes[0] % 6 == 3 {
        let payload = Array(rest)
        if let event = ConversationRelay.unframe(payload) {
            precondition(ConversationRelay.unframe(ConversationRelay.frame(event)) == event, "frame round trip")
        }
        if let entries = RelayBatch.entries(of: payload) {
            var batch = RelayBatch()
            for (conversation, event) in entries { batch.add(conversation, event) }
            let again = RelayBatch.entries(of: batch.take())
            precondition(again?.map(\.event) == entries.map(\.event) && again?.map(\.conversation) == entries.map(\.conversation),
                         "batch round trip")
        }
        return 0
    }
    var limits = RESPLimits()
    limits.maxBulkLength = 1 << 16
    limits.maxArrayCount = 1 << 12
    var decoder = RESPDecoder(limits: limits)
    decoder.append(rest)
    guard let value = try? decoder.next() else { return 0 }
    switch bytes[0] % 6 {
    case 0: _ = Heartbeat(value)
    case 1: _ = CommandLog.records(in: value)
    default: _ = ConversationRelay.events(in: value)
    }
    return 0
}
