import ChatCore

/// libFuzzer entry point for the command log's decoder (`LoggedCommand(decoding:)`).
/// Any refusal is fine; a crash, a hang or unbounded memory is not. An entry that
/// decodes must encode back to the very same bytes (the format has one encoding per
/// value) and decode again to an equal entry.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommandLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let entry: LoggedCommand
    do {
        entry = try LoggedCommand(decoding: bytes)
    } catch {
        _ = error.description
        return 0
    }
    let encoded: [UInt8]
    do {
        encoded = try entry.encoded()
    } catch {
        fatalError("a decoded entry does not encode: \(error)")
    }
    precondition(encoded == bytes, "encoding is not the bytes decoded")
    guard let again = try? LoggedCommand(decoding: encoded) else { fatalError("encoded entry does not decode") }
    precondition(again == entry, "round trip changed the entry")
    return 0
}
