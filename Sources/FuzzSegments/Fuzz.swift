import ChatStorage

/// libFuzzer entry point for the segment and record parser (`RecordScanner`): the
/// input is a segment file's bytes, of either format version. Any verdict is fine; a
/// crash, a hang or a record outside the buffer is not. Every record found must
/// re-encode to the same bytes; the header, the records and the damaged ranges must
/// tile the bytes up to where the scan cuts (a damaged tail past it); and the kept
/// prefix must scan again to the same records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegments(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let scan = RecordScanner.scanSegment(bytes)
    let outcome = scan.outcome
    precondition(outcome.goodLength <= size, "good length past the end")
    guard let version = outcome.version else {
        precondition(scan.records.isEmpty && outcome.damage.isEmpty && outcome.goodLength == 0)
        return 0
    }
    for record in scan.records {
        precondition(record.extent.upperBound <= outcome.goodLength
                     && record.payload.upperBound + version.suffixSize == record.extent.upperBound)
        var again: [UInt8] = []
        RecordFormat.append(key: record.key, seq: record.seq, ts: record.ts, payload: Array(bytes[record.payload]),
                            version: version, to: &again)
        // Version 3's chain link depends on the records before; the verifier checks it.
        precondition(again.dropLast(version.suffixSize).elementsEqual(bytes[record.extent.lowerBound..<record.payload.upperBound]),
                     "record does not re-encode to its bytes")
    }
    // Header, records and damage tile the bytes in order.
    var pieces = scan.records.map(\.extent) + outcome.damage.map(\.range)
    if !outcome.headerDamaged { pieces.append(0..<version.headerSize) }
    pieces.sort { $0.lowerBound < $1.lowerBound }
    var position = 0
    for piece in pieces {
        precondition(piece.lowerBound == position && !piece.isEmpty, "pieces overlap or leave a hole")
        position = piece.upperBound
    }
    if let last = outcome.damage.last, last.range.upperBound == size, outcome.problem != nil {
        precondition(last.range.lowerBound == outcome.goodLength, "a damaged tail starts where the scan cuts")
    } else {
        precondition(position == outcome.goodLength, "the pieces end where the scan cuts")
    }
    if !outcome.headerDamaged {
        let rescan = RecordScanner.scanSegment(UnsafeRawBufferPointer(rebasing: bytes[0..<outcome.goodLength]))
        precondition(rescan.problem == nil && rescan.records == scan.records, "the kept prefix does not scan the same")
    }
    // Single steps from every offset must stay inside the buffer too.
    var offset = 0
    while offset < min(size, 256) {
        for v in [RecordFormat.Version.v1, .v2, .v3] {
            if case .record(let view) = RecordScanner.step(bytes, at: offset, version: v) { precondition(view.extent.upperBound <= size) }
        }
        offset += 1
    }
    // The chain verifier reads the same bytes without crashing, whatever they hold.
    var report = ChainReport()
    var expected: ChainHash?
    _ = ChainVerifier.verifySegment(bytes, name: "fuzz.seg", number: RecordScanner.segmentNumber(bytes) ?? 0, newest: true,
                                    expected: &expected, previousNumber: nil, report: &report)
    return 0
}
