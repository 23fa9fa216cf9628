import Redis

/// libFuzzer entry point for the RESP2 reply decoder. The input is fed in two pieces
/// (split where the first byte says), as replies arrive over several reads. Any refusal
/// is fine; a crash, a hang or unbounded memory is not. Every value decoded must encode
/// to bytes that decode to the same value again, whole or byte by byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let input = UnsafeRawBufferPointer(rebasing: bytes[1...])
    let split = min(Int(bytes[0]), input.count)
    var limits = RESPLimits()
    limits.maxBulkLength = 1 << 16
    limits.maxArrayCount = 1 << 12
    var decoder = RESPDecoder(limits: limits)
    var values: [RESPValue] = []
    do {
        decoder.append(UnsafeRawBufferPointer(rebasing: input[..<split]))
        while let value = try decoder.next() { values.append(value) }
        decoder.append(UnsafeRawBufferPointer(rebasing: input[split...]))
        while let value = try decoder.next() { values.append(value) }
    } catch {
        _ = error.description
    }
    for value in values {
        let encoded = value.encoded()
        var again = RESPDecoder(limits: limits)
        again.append(encoded)
        guard let whole = try? again.next() else { fatalError("an encoded value does not decode: \(value)") }
        precondition(whole == value, "round trip changed the value")
        var trickle = RESPDecoder(limits: limits)
        var got: RESPValue?
        for byte in encoded {
            trickle.append([byte])
            if let value = try? trickle.next() { got = value }
        }
        precondition(got == value, "byte-by-byte decoding differs")
    }
    return 0
}
