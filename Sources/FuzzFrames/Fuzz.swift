import ByteBuffers
import WebSocket

/// libFuzzer entry point for the WebSocket frame reader, in both roles, with the input
/// fed in pieces whose sizes come from the first byte. Checks invariants: no crash,
/// consumption never runs past the input, payloads lie within their limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 1 else { return 0 }
    let limits = WebSocketLimits(maxFrameSize: 4096, maxMessageSize: 8192)
    let step = max(1, Int(data[0] & 0x3F))
    let role: Role = data[0] & 0x80 == 0 ? .server : .client
    var reader = FrameReader(role: role, limits: limits)
    if data[0] & 0x40 != 0 { reader.allowedReservedBits = 0x40 }
    inPieces(Array(UnsafeBufferPointer(start: data + 1, count: size - 1)), step: step) { piece in
        var consumed = 0
        while let event = reader.next(piece, consumed: &consumed) {
            precondition(consumed <= piece.count)
            switch event {
            case .message(_, let payload, _): precondition(payload.count <= limits.maxMessageSize)
            case .ping(let payload), .pong(let payload): precondition(payload.count <= 125)
            case .close, .failure: break
            }
        }
        precondition(consumed == piece.count, "reader must consume all input when it asks for more")
    }
    fuzzConnection(Array(UnsafeBufferPointer(start: data + 1, count: size - 1)), role: role, limits: limits,
                   deflate: data[0] & 0x40 != 0, step: step)
    return 0
}

/// The same bytes through the connection state machine: whatever it answers (pongs,
/// close frames) must be frames the peer's reader accepts, and its state only moves
/// forward (open, closing, closed).
private func fuzzConnection(_ bytes: [UInt8], role: Role, limits: WebSocketLimits, deflate: Bool, step: Int) {
    var machine = WebSocketConnection(role: role, limits: limits, timeouts: .init(idlePing: 1, pong: 1, close: 1), now: 0, maskSeed: 7)
    if deflate { machine.reader.allowedReservedBits = 0x40 }
    let output = ByteBuffer()
    var now: UInt64 = 0
    inPieces(bytes, step: step) { piece in
        var consumed = 0
        while let event = machine.receive(piece, consumed: &consumed, output: output) {
            precondition(consumed <= piece.count)
            if case .closed = event { precondition(machine.state == .closed) }
            if case .failed = event { precondition(machine.state == .closed) }
        }
        now += 1
        _ = machine.tick(now: now, output: output)
    }
    var peer = FrameReader(role: role == .server ? .client : .server, limits: WebSocketLimits())
    var consumed = 0
    while let event = peer.next(output.readable, consumed: &consumed) {
        if case .failure(_, let reason) = event { preconditionFailure("the machine wrote a frame its peer refuses: \(reason)") }
    }
}

/// Hands `bytes` to `body` in writable pieces of `step` bytes (the last may be shorter),
/// as reads of that size would deliver them.
private func inPieces(_ bytes: [UInt8], step: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
    var copy = bytes
    copy.withUnsafeMutableBytes { all in
        var offset = 0
        while offset < all.count {
            let end = min(all.count, offset + step)
            body(UnsafeMutableRawBufferPointer(rebasing: all[offset..<end]))
            offset = end
        }
    }
}
