import Privacy

/// libFuzzer entry point for the personal-number detectors. Any text goes in; what
/// comes out must be as long as what went in, differ only where `*` was written,
/// stay valid UTF-8 when the input was, and hold nothing a second pass would mask
/// again (masking is idempotent: no card, resident number, phone or address left).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPrivacy(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let masker = PersonalDataMasker()
    var bytes = input
    let found = masker.mask(&bytes)
    precondition(bytes.count == input.count, "masking changed the length")
    for i in 0..<bytes.count where bytes[i] != input[i] {
        precondition(bytes[i] == 0x2A, "masking wrote something other than *")
        precondition(input[i] < 0x80, "masking overwrote part of a multi-byte character")
    }
    precondition(found.isEmpty == (bytes == input), "found kinds without masking, or masked without finding")
    var again = bytes
    let foundAgain = masker.mask(&again)
    precondition(foundAgain.subtracting(PersonalDataKinds([.email])).isEmpty,
                 "a second pass still found \(Array(foundAgain)) in \(String(decoding: bytes, as: UTF8.self))")
    if let text = String(validating: input, as: UTF8.self) {
        let (masked, _) = masker.mask(text)
        precondition(Array(masked.utf8) == bytes, "the String and byte paths disagree")
    }
    return 0
}
