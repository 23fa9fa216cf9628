import ChatCore

/// libFuzzer entry point for the TZif parser (`ZoneRules`) and the POSIX TZ rules of
/// its footer. Checks invariants: no crash; a file that parses gives offsets within
/// ±26 h at any instant, and a local time read back to UTC lands within a day of it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZoneRules(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let rules = try? ZoneRules(tzif: bytes) {
        for utc: Int64 in [-4_000_000_000, 0, 1_000_000_000, 1_743_296_400, 2_208_988_800, 9_000_000_000] {
            precondition(abs(rules.offset(atUTC: utc)) <= 26 * 3_600)
            precondition(abs(rules.utc(atLocal: utc) - utc) <= 2 * 86_400)
        }
    }
    if let rule = PosixRule(String(decoding: bytes.prefix(200), as: UTF8.self)) {
        for utc: Int64 in [-1_000_000_000, 0, 1_743_296_400, 4_102_444_800] {
            precondition(abs(rule.offset(atUTC: utc)) <= 200 * 3_600)
        }
    }
    return 0
}
