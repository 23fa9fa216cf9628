import ChatStorage

/// libFuzzer entry point for the segment and record parser (`RecordScanner`): the
/// input is a segment file's bytes. Any verdict is fine; a crash, a hang or a record
/// outside the buffer is not. Every record found must re-encode to the same bytes, and
/// the good prefix must scan again to the same records with no problem.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegments(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let scan = RecordScanner.scanSegment(bytes)
    precondition(scan.goodLength <= size, "good length past the end")
    for record in scan.records {
        precondition(record.extent.upperBound <= scan.goodLength && record.payload.upperBound == record.extent.upperBound)
        var again: [UInt8] = []
        RecordFormat.append(key: record.key, seq: record.seq, ts: record.ts, payload: Array(bytes[record.payload]), to: &again)
        precondition(again.elementsEqual(bytes[record.extent]), "record does not re-encode to its bytes")
    }
    if scan.goodLength > 0 {
        let rescan = RecordScanner.scanSegment(UnsafeRawBufferPointer(rebasing: bytes[0..<scan.goodLength]))
        precondition(rescan.problem == nil && rescan.records == scan.records, "the good prefix does not scan the same")
    }
    // Single steps from every offset must stay inside the buffer too.
    var offset = 0
    while offset < min(size, 256) {
        if case .record(let view) = RecordScanner.step(bytes, at: offset) { precondition(view.extent.upperBound <= size) }
        offset += 1
    }
    return 0
}
