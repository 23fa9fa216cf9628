/// An IANA time zone's offsets over time, read from a TZif file of the system's tz
/// database (RFC 8536): the transitions of its version-2+ 64-bit data block, and the
/// footer's POSIX TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`) for instants after the last
/// transition. Daylight saving time included (Europe/Berlin, America/New_York).
///
/// Pure: it parses bytes; whoever reads the file (the configuration loader) does the
/// I/O. Bad bytes get a `ZoneRules.FormatError` naming what is wrong. A plain value.
public struct ZoneRules: Hashable, Sendable {
    /// Transition instants (UTC seconds, ascending) and the offset from each on.
    public private(set) var transitions: [Int64] = []
    public private(set) var offsets: [Int32] = []
    /// The offset before the first transition (the first standard-time type).
    public private(set) var initialOffset: Int32 = 0
    /// The footer's rule for what follows the last transition (nil: keep the last offset).
    public private(set) var rule: PosixRule?

    public struct FormatError: Error, Hashable, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Parses a TZif file (RFC 8536 §3). A version-1 file (32-bit data only) is read too.
    public init(tzif bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes: bytes)
        let first = try Header(&reader)
        guard first.version == 0 || bytes.count > reader.offset + first.dataLength(timeSize: 4) else {
            throw FormatError(reason: "the file ends inside its first data block")
        }
        var header = first
        var timeSize = 4
        if first.version >= 2 {
            // Skip the 32-bit block; the second header and the 64-bit block follow.
            try reader.skip(first.dataLength(timeSize: 4))
            header = try Header(&reader)
            timeSize = 8
        }
        guard header.typeCount >= 1, header.typeCount <= 256, header.transitionCount <= 100_000 else {
            throw FormatError(reason: "implausible counts (\(header.typeCount) types, \(header.transitionCount) transitions)")
        }
        var times: [Int64] = []
        for _ in 0..<header.transitionCount { times.append(timeSize == 8 ? try reader.int64() : Int64(try reader.int32())) }
        var indices: [Int] = []
        for _ in 0..<header.transitionCount {
            let index = Int(try reader.byte())
            guard index < header.typeCount else { throw FormatError(reason: "a transition names type \(index) of \(header.typeCount)") }
            indices.append(index)
        }
        var typeOffsets: [Int32] = []
        for _ in 0..<header.typeCount {
            let offset = try reader.int32()
            // Not abs(): abs(Int32.min) traps.
            guard offset >= -26 * 3_600, offset <= 26 * 3_600 else { throw FormatError(reason: "an offset of \(offset) s is out of range") }
            typeOffsets.append(offset)
            _ = try reader.byte()  // is DST: the offset says all this needs
            _ = try reader.byte()  // abbreviation index
        }
        guard times == times.sorted(), Set(times).count == times.count else {
            throw FormatError(reason: "transition times are not strictly ascending")
        }
        try reader.skip(header.charCount + header.leapCount * (timeSize + 4) + header.standardCount + header.utCount)
        transitions = times
        offsets = indices.map { typeOffsets[$0] }
        // RFC 8536 §3.2: before the first transition, local time type 0 applies.
        initialOffset = typeOffsets[0]
        if header.version >= 2 {
            // Footer: "\nTZ-STRING\n".
            guard try reader.byte() == 0x0A else { throw FormatError(reason: "the footer does not start with a newline") }
            var text: [UInt8] = []
            while true {
                let b = try reader.byte()
                if b == 0x0A { break }
                text.append(b)
            }
            if !text.isEmpty {
                guard let parsed = PosixRule(String(decoding: text, as: UTF8.self)) else {
                    throw FormatError(reason: "the footer's rule '\(String(decoding: text, as: UTF8.self))' is not understood")
                }
                // POSIX allows ±167 h in a rule (RFC 8536 §3.3.1); no zone is beyond ±26 h,
                // the bound the data block's offsets are held to above.
                let ruleOffsets = [parsed.standardOffset] + (parsed.daylight.map { [$0.offset] } ?? [])
                guard ruleOffsets.allSatisfy({ $0 >= -26 * 3_600 && $0 <= 26 * 3_600 }) else {
                    throw FormatError(reason: "the footer's rule '\(String(decoding: text, as: UTF8.self))' has an offset out of range")
                }
                rule = parsed
            }
        }
    }

    /// Seconds east of UTC at the instant `utc` (seconds since the epoch).
    public func offset(atUTC utc: Int64) -> Int32 {
        guard let last = transitions.last else { return rule?.offset(atUTC: utc) ?? initialOffset }
        if utc >= last, let rule { return rule.offset(atUTC: utc) }
        // The last transition at or before `utc`.
        var low = 0
        var high = transitions.count
        while low < high {
            let mid = (low + high) / 2
            if transitions[mid] <= utc { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? initialOffset : offsets[low - 1]
    }

    /// The UTC instant at which local time reads `local` (seconds since 1970-01-01T00:00
    /// local). A local time skipped by a change (spring forward) is read with the offset
    /// before it, so it lands just after the change; a repeated one (fall back) is its
    /// first occurrence.
    public func utc(atLocal local: Int64) -> Int64 {
        // The offset can only be one of those in force a day either side.
        let before = Int64(offset(atUTC: local - 86_400))
        let after = Int64(offset(atUTC: local + 86_400))
        for candidate in [local - before, local - after] where candidate + Int64(offset(atUTC: candidate)) == local {
            return candidate
        }
        return local - before
    }
}

/// The POSIX TZ rule of a TZif footer (RFC 8536 §3.3, POSIX.1 `TZ`): a standard
/// offset and optionally a daylight one with the `Mm.w.d[/time]` dates it starts and
/// ends on. The Julian forms (`Jn`, `n`) are rare in the tz database and refused. A plain value.
public struct PosixRule: Hashable, Sendable {
    /// Seconds east of UTC (POSIX writes them west: `CET-1` is +3600).
    public var standardOffset: Int32
    public var daylight: Daylight?

    public struct Daylight: Hashable, Sendable {
        public var offset: Int32
        public var start: Change
        public var end: Change
    }

    /// Month `month`, week `week` (5: the last), weekday `weekday` (0: Sunday), at
    /// `seconds` local time (the time in force before the change).
    public struct Change: Hashable, Sendable {
        public var month: Int
        public var week: Int
        public var weekday: Int
        public var seconds: Int64
    }

    public init?(_ text: String) {
        var s = Substring(text)
        guard PosixRule.name(&s), let std = PosixRule.time(&s, signed: true) else { return nil }
        standardOffset = Int32(-std)
        if s.isEmpty { daylight = nil; return }
        guard PosixRule.name(&s) else { return nil }
        var dst = Int64(standardOffset) + 3_600
        if let first = s.first, first != "," {
            guard let t = PosixRule.time(&s, signed: true) else { return nil }
            dst = -t
        }
        guard s.first == ",", let start = PosixRule.change(&s), s.first == ",", let end = PosixRule.change(&s), s.isEmpty else {
            return nil
        }
        daylight = Daylight(offset: Int32(dst), start: start, end: end)
    }

    public func offset(atUTC utc: Int64) -> Int32 {
        guard let daylight else { return standardOffset }
        let year = LocalDate(daysSince1970: Int(floorDivide(utc + Int64(standardOffset), 86_400))).year
        // Each change is given in the local time in force before it.
        let start = daylight.start.utc(year: year) - Int64(standardOffset)
        let end = daylight.end.utc(year: year) - Int64(daylight.offset)
        let inDaylight = start < end ? (utc >= start && utc < end) : (utc >= start || utc < end)  // southern hemisphere
        return inDaylight ? daylight.offset : standardOffset
    }

    // `<+09>` or 3+ letters.
    private static func name(_ s: inout Substring) -> Bool {
        if s.first == "<" {
            guard let close = s.firstIndex(of: ">") else { return false }
            s = s[s.index(after: close)...]
            return true
        }
        var n = 0
        while let c = s.first, c.isLetter { s = s.dropFirst(); n += 1 }
        return n >= 3
    }

    // [+-]hh[:mm[:ss]] in seconds (hours up to 167 for the change times).
    private static func time(_ s: inout Substring, signed: Bool) -> Int64? {
        var sign: Int64 = 1
        if signed, let c = s.first, c == "+" || c == "-" {
            sign = c == "-" ? -1 : 1
            s = s.dropFirst()
        }
        var parts: [Int64] = []
        while parts.count < 3 {
            var digits = ""
            while let c = s.first, c.isASCII, c.isNumber { digits.append(c); s = s.dropFirst() }
            guard let v = Int64(digits), digits.count <= 3 else { return nil }
            parts.append(v)
            guard s.first == ":" else { break }
            s = s.dropFirst()
        }
        guard parts[0] <= 167, parts.count < 2 || parts[1] < 60, parts.count < 3 || parts[2] < 60 else { return nil }
        let seconds = parts[0] * 3_600 + (parts.count > 1 ? parts[1] * 60 : 0) + (parts.count > 2 ? parts[2] : 0)
        return sign * seconds
    }

    // ,Mm.w.d[/time]
    private static func change(_ s: inout Substring) -> Change? {
        s = s.dropFirst()  // ","
        guard s.first == "M" else { return nil }
        s = s.dropFirst()
        var numbers: [Int] = []
        for i in 0..<3 {
            var digits = ""
            while let c = s.first, c.isASCII, c.isNumber { digits.append(c); s = s.dropFirst() }
            guard let v = Int(digits) else { return nil }
            numbers.append(v)
            if i < 2 { guard s.first == "." else { return nil }; s = s.dropFirst() }
        }
        guard (1...12).contains(numbers[0]), (1...5).contains(numbers[1]), (0...6).contains(numbers[2]) else { return nil }
        var seconds: Int64 = 7_200
        if s.first == "/" {
            s = s.dropFirst()
            guard let t = time(&s, signed: true) else { return nil }
            seconds = t
        }
        return Change(month: numbers[0], week: numbers[1], weekday: numbers[2], seconds: seconds)
    }
}

extension PosixRule.Change {
    /// Local seconds since the epoch at which this change happens in `year`.
    func utc(year: Int) -> Int64 {
        let first = LocalDate(year: year, month: month, day: 1)!  // month is 1...12, checked when parsed
        // Weekday.rawValue: 0 is Sunday, as in POSIX.
        var day = 1 + (weekday - first.weekday.rawValue + 7) % 7 + (week - 1) * 7
        let length = LocalDate.daysIn(month: month, year: year)
        while day > length { day -= 7 }
        let date = LocalDate(year: year, month: month, day: day)!
        return Int64(date.daysSince1970) * 86_400 + seconds
    }
}

/// Big-endian reads with bounds checks, for `ZoneRules`.
private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func byte() throws(ZoneRules.FormatError) -> UInt8 {
        guard offset < bytes.count else { throw ZoneRules.FormatError(reason: "the file ends early (at byte \(offset))") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func int32() throws(ZoneRules.FormatError) -> Int32 {
        var v: UInt32 = 0
        for _ in 0..<4 { v = v << 8 | UInt32(try byte()) }
        return Int32(bitPattern: v)
    }

    mutating func int64() throws(ZoneRules.FormatError) -> Int64 {
        var v: UInt64 = 0
        for _ in 0..<8 { v = v << 8 | UInt64(try byte()) }
        return Int64(bitPattern: v)
    }

    mutating func skip(_ count: Int) throws(ZoneRules.FormatError) {
        guard count >= 0, offset + count <= bytes.count else {
            throw ZoneRules.FormatError(reason: "the file ends early (at byte \(bytes.count), wanted \(offset + count))")
        }
        offset += count
    }
}

/// A TZif header (RFC 8536 §3.1).
private struct Header {
    var version: Int
    var utCount = 0, standardCount = 0, leapCount = 0, transitionCount = 0, typeCount = 0, charCount = 0

    init(_ r: inout ByteReader) throws(ZoneRules.FormatError) {
        guard try r.byte() == 0x54, try r.byte() == 0x5A, try r.byte() == 0x69, try r.byte() == 0x66 else {
            throw ZoneRules.FormatError(reason: "not a TZif file (no 'TZif' magic)")
        }
        let v = try r.byte()
        switch v {
        case 0: version = 1
        case 0x32...0x39: version = Int(v - 0x30)
        default: throw ZoneRules.FormatError(reason: "unknown TZif version byte \(v)")
        }
        try r.skip(15)
        var counts: [Int] = []
        for _ in 0..<6 {
            let c = try r.int32()
            guard c >= 0, c <= 1_000_000 else { throw ZoneRules.FormatError(reason: "a negative or huge count (\(c))") }
            counts.append(Int(c))
        }
        (utCount, standardCount, leapCount, transitionCount, typeCount, charCount) =
            (counts[0], counts[1], counts[2], counts[3], counts[4], counts[5])
    }

    func dataLength(timeSize: Int) -> Int {
        transitionCount * timeSize + transitionCount + typeCount * 6 + charCount + leapCount * (timeSize + 4)
            + standardCount + utCount
    }
}
