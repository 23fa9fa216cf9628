import ChatProtocol

/// libFuzzer entry point for the chat protocol decoder. The first byte picks the
/// decoder (customer, agent, supervisor or server message); the rest is the message.
/// Any refusal is fine; a crash, a hang or unbounded memory is not. A message that
/// decodes must survive encode → decode unchanged, and encode to the same bytes again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtocol(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let message = UnsafeRawBufferPointer(rebasing: bytes[1...])
    switch bytes[0] % 4 {
    case 0: roundTrip(CustomerMessage.self, message)
    case 1: roundTrip(AgentMessage.self, message)
    case 2: roundTrip(SupervisorMessage.self, message)
    default: roundTrip(ServerMessage.self, message)
    }
    return 0
}

private func roundTrip<M: WireMessage>(_: M.Type, _ bytes: UnsafeRawBufferPointer) {
    let decoded: M
    do {
        decoded = try M.decode(bytes)
    } catch {
        _ = error.description
        return
    }
    let encoded = decoded.encoded()
    guard let again = try? M.decode(encoded) else {
        fatalError("encoded message does not decode: \(String(decoding: encoded, as: UTF8.self))")
    }
    precondition(again == decoded, "round trip changed the message")
    precondition(again.encoded() == encoded, "encoding is not stable")
}
