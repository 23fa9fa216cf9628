import ChatServer
import Redis

/// libFuzzer entry point for what a cluster node reads from Redis: the first byte picks
/// the reader; the rest is a RESP reply (for the heartbeat, the command log's XREAD and
/// a conversation's XRANGE) or a conversation event as published. Any refusal is fine;
/// a crash, a hang or unbounded memory is not. A published event that reads must frame
/// to the same bytes again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCluster(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let rest = UnsafeRawBufferPointer(rebasing: bytes[1...])
    if bytes[0] % 4 == 3 {
        let payload = Array(rest)
        if let event = ConversationRelay.unframe(payload) {
            precondition(ConversationRelay.unframe(ConversationRelay.frame(event)) == event, "frame round trip")
        }
        return 0
    }
    var limits = RESPLimits()
    limits.maxBulkLength = 1 << 16
    limits.maxArrayCount = 1 << 12
    var decoder = RESPDecoder(limits: limits)
    decoder.append(rest)
    guard let value = try? decoder.next() else { return 0 }
    switch bytes[0] % 4 {
    case 0: _ = Heartbeat(value)
    case 1: _ = CommandLog.records(in: value)
    default: _ = ConversationRelay.events(in: value)
    }
    return 0
}
