import ChatCore
import Testing

struct ZoneRulesTests {
    /// A version-2 TZif file: one transition at `at` from +1 h to +2 h, footer `footer`.
    static func tzif(at: Int64 = 1_000_000, footer: String = "CET-1CEST,M3.5.0,M10.5.0/3") -> [UInt8] {
        func be32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
        func be64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
        func header(transitions: Int32) -> [UInt8] {
            Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15)
                + [0, 0, 0, transitions, 2, 8].map { be32(Int32($0)) }.joined()
        }
        let types = be32(3_600) + [0, 0] + be32(7_200) + [1, 4]
        let chars = Array("CET\0CEST".utf8)  // 8 bytes
        var bytes = header(transitions: 1) + be32(Int32(at)) + [1] + types + chars
        bytes += header(transitions: 1) + be64(at) + [1] + types + chars
        bytes += Array(("\n" + footer + "\n").utf8)
        return bytes
    }

    @Test func aTransitionSplitsTheOffsets() throws {
        let rules = try ZoneRules(tzif: Self.tzif(footer: ""))
        #expect(rules.offset(atUTC: 999_999) == 3_600)
        #expect(rules.offset(atUTC: 1_000_000) == 7_200)
        #expect(rules.offset(atUTC: 9_000_000_000) == 7_200)  // no footer rule: the last offset stays
    }

    @Test func afterTheLastTransitionTheFootersRuleDecides() throws {
        let rules = try ZoneRules(tzif: Self.tzif())
        // 2030-01-15 is winter, 2030-07-15 summer in CET-1CEST.
        #expect(rules.offset(atUTC: 1_894_665_600) == 3_600)
        #expect(rules.offset(atUTC: 1_910_304_000) == 7_200)
    }

    @Test func posixRulesReadTheirParts() throws {
        let r = try #require(PosixRule("EST5EDT,M3.2.0,M11.1.0"))
        #expect(r.standardOffset == -18_000 && r.daylight?.offset == -14_400)
        let start = try #require(r.daylight?.start)
        #expect(start.month == 3 && start.week == 2 && start.weekday == 0 && start.seconds == 7_200)
        #expect(PosixRule("<+09>-9")?.standardOffset == 32_400)
        #expect(PosixRule("KST-9")?.daylight == nil)
        // Southern hemisphere: daylight time spans the new year.
        let sydney = try #require(PosixRule("AEST-10AEDT,M10.1.0,M4.1.0/3"))
        #expect(sydney.offset(atUTC: 1_736_899_200) == 39_600)  // 2025-01-15
        #expect(sydney.offset(atUTC: 1_752_537_600) == 36_000)  // 2025-07-15
        for bad in ["", "X1", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,J60,J300", "CET-1CEST,M3.5.0", "CET-1CEST,M3.6.0,M10.5.0"] {
            #expect(PosixRule(bad) == nil, "\(bad)")
        }
    }

    @Test func damagedFilesAreRefusedWithAReason() {
        var bytes = Self.tzif()
        #expect(throws: ZoneRules.FormatError.self) { try ZoneRules(tzif: Array(bytes.prefix(30))) }
        #expect(throws: ZoneRules.FormatError.self) { try ZoneRules(tzif: Array("TZiX".utf8) + bytes.dropFirst(4)) }
        bytes[bytes.count - 3] = UInt8(ascii: "!")  // a footer that is not a rule
        #expect(throws: ZoneRules.FormatError.self) { try ZoneRules(tzif: bytes) }
        #expect(throws: ZoneRules.FormatError.self) { try ZoneRules(tzif: []) }
        // POSIX reads a rule of 100 h, but no zone is that far from UTC (found by fuzz-zones).
        #expect(throws: ZoneRules.FormatError.self) { try ZoneRules(tzif: Self.tzif(footer: "XXX-100")) }
        #expect(throws: ZoneRules.FormatError.self) { try ZoneRules(tzif: Self.tzif(footer: "CET-1CEST-99,M3.5.0,M10.5.0/3")) }
    }
}
