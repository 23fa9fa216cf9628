import ByteBuffers
import WebSocketDeflate

/// libFuzzer entry point for permessage-deflate: the first line of the input is a
/// `Sec-WebSocket-Extensions` value for the server's and the client's negotiation;
/// the rest is a compressed message to inflate under a small limit. Any outcome but a
/// crash, a hang or output past the limit is acceptable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDeflate(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let newline = bytes.firstIndex(of: 10) ?? size
    let header = String(decoding: bytes[0..<newline], as: UTF8.self)
    let elements = header.split(separator: ",")
    _ = DeflateNegotiation.negotiate(offers: elements, configuration: DeflateConfiguration())
    _ = DeflateNegotiation.clientAccept(elements)
    let body = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(start: data, count: size)[min(size, newline + 1)...])
    let limit = 64 * 1024
    let output = ByteBuffer()
    let decompressor = Decompressor(windowBits: 15)
    do {
        try decompressor.decompress(body, into: output, limit: limit, reset: false)
    } catch {}
    precondition(output.count <= limit + 1, "inflated past the limit")
    return 0
}
