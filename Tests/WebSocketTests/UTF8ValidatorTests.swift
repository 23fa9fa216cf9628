import WebSocket
import Testing

/// RFC 3629 §4 validation, incremental: valid text of every width, every kind of
/// ill-formed sequence, where exactly it fails, and input split anywhere.
@Suite struct UTF8ValidatorTests {
    /// A validator fed arrays. A class, so a feed can sit inside `#expect` in any
    /// form (the macro's function-call form takes its receiver as an immutable value).
    final class Harness {
        private(set) var validator = UTF8Validator()
        func feed(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { validator.validate($0) } }
        func feed(_ bytes: ArraySlice<UInt8>) -> Bool { feed(Array(bytes)) }
        var isComplete: Bool { validator.isComplete }
        func reset() { validator.reset() }
    }

    static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { UTF8Validator.isValid($0) }
    }

    /// Feeds one byte per call; returns the index of the call that returned false.
    static func firstRejectedByte(_ bytes: [UInt8]) -> Int? {
        let validator = Harness()
        for (index, byte) in bytes.enumerated() where !validator.feed([byte]) {
            return index
        }
        return nil
    }

    @Test(arguments: [
        "", "plain ASCII that is longer than eight bytes", "é", "안녕하세요", "상담원 연결 중입니다…",
        "😀 emoji 👋🏽", "mixed: a é 한 😀 z", String(repeating: "x", count: 17) + "é" + String(repeating: "y", count: 9) + "한",
    ])
    func acceptsValidText(_ text: String) {
        #expect(Self.isValid(Array(text.utf8)))
        #expect(Self.firstRejectedByte(Array(text.utf8)) == nil)
    }

    @Test(arguments: [
        [UInt8(0x00)], [0x7F],                  // U+0000, U+007F
        [0xC2, 0x80], [0xDF, 0xBF],             // U+0080, U+07FF
        [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], // U+0800, U+D7FF
        [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF], // U+E000, U+FFFF
        [0xF0, 0x90, 0x80, 0x80],               // U+10000
        [0xF4, 0x8F, 0xBF, 0xBF],               // U+10FFFF
    ])
    func acceptsTheBoundaryCodePointsOfEveryWidth(_ bytes: [UInt8]) {
        #expect(Self.isValid(bytes))
    }

    /// Each sequence with the index of its first byte that cannot be valid.
    @Test(arguments: [
        ("lone continuation byte", [UInt8(0x80)], 0),
        ("lone last continuation byte", [0x61, 0xBF], 1),
        ("overlong C0", [0xC0, 0x80], 0),
        ("overlong C1", [0xC1, 0xBF], 0),
        ("overlong E0 80", [0xE0, 0x80, 0x80], 1),
        ("overlong E0 9F", [0xE0, 0x9F, 0xBF], 1),
        ("overlong F0 80", [0xF0, 0x80, 0x80, 0x80], 1),
        ("overlong F0 8F", [0xF0, 0x8F, 0xBF, 0xBF], 1),
        ("high surrogate ED A0", [0xED, 0xA0, 0x80], 1),
        ("low surrogate ED BF", [0xED, 0xBF, 0xBF], 1),
        ("past U+10FFFF F4 90", [0xF4, 0x90, 0x80, 0x80], 1),
        ("lead F5", [0xF5, 0x80, 0x80, 0x80], 0),
        ("lead F8", [0xF8, 0x88, 0x80, 0x80, 0x80], 0),
        ("byte FE", [0x61, 0x62, 0xFE], 2),
        ("byte FF", [0xFF], 0),
        ("ASCII where a continuation is due", [0xC3, 0x41], 1),
        ("lead where a continuation is due", [0xE2, 0x82, 0xE2], 2),
        ("bad third byte of four", [0xF0, 0x9F, 0x98, 0x41], 3),
        ("bad byte after a long ASCII run", Array("0123456789abcdef".utf8) + [0x80], 16),
        ("bad byte inside a long ASCII run", Array("0123456".utf8) + [0xC0] + Array("abcdefgh".utf8), 7),
    ])
    func rejectsIllFormedSequencesAtTheirFirstBadByte(_ name: String, _ bytes: [UInt8], _ badIndex: Int) {
        #expect(!Self.isValid(bytes), "\(name)")
        #expect(Self.firstRejectedByte(bytes) == badIndex, "\(name)")
    }

    @Test func rejectsABadByteAtEveryPositionOfAnASCIIRun() {
        // The 8-byte fast path must not skip past a bad byte at any offset.
        for position in 0..<24 {
            var bytes = Array(repeating: UInt8(ascii: "a"), count: 24)
            bytes[position] = 0x80
            #expect(!Self.isValid(bytes), "bad byte at \(position)")
            let validator = Harness()
            let whole = validator.feed(bytes)
            #expect(!whole, "bad byte at \(position)")
        }
    }

    @Test(arguments: [[UInt8(0xC2)], [0xE0, 0xA0], [0xE2, 0x82], [0xF0, 0x90, 0x80], [0x61, 0xF4]])
    func reportsATruncatedSequenceAsIncompleteNotInvalid(_ bytes: [UInt8]) {
        let validator = Harness()
        #expect(validator.feed(bytes))
        #expect(!validator.isComplete)
        #expect(!Self.isValid(bytes))
    }

    @Test func acceptsTextSplitInTwoAtEveryBytePosition() {
        let text = "Hello, 상담원! 😀 welcome to the queue: é"
        let bytes = Array(text.utf8)
        var boundaries: Set<Int> = [0]
        var offset = 0
        for scalar in text.unicodeScalars {
            offset += String(scalar).utf8.count
            boundaries.insert(offset)
        }
        for split in 0...bytes.count {
            let validator = Harness()
            #expect(validator.feed(bytes[..<split]), "split at \(split)")
            #expect(validator.isComplete == boundaries.contains(split), "split at \(split)")
            #expect(validator.feed(bytes[split...]), "split at \(split)")
            #expect(validator.isComplete, "split at \(split)")
        }
    }

    @Test func acceptsTextFedOneByteAtATime() {
        let validator = Harness()
        for byte in Array("한국어 상담 😀 ok".utf8) {
            #expect(validator.feed([byte]))
        }
        #expect(validator.isComplete)
    }

    @Test func rejectsAnIllFormedSequenceSplitAcrossCalls() {
        let validator = Harness()
        #expect(validator.feed([UInt8(0x61), 0xED]))
        #expect(!validator.feed([UInt8(0xA0), 0x80]))
    }

    @Test func resetForgetsAPartialSequence() {
        let validator = Harness()
        #expect(validator.feed([UInt8(0xE0)]))
        validator.reset()
        #expect(validator.isComplete)
        // A0 would have been a fine second byte after E0; alone it is not.
        #expect(!validator.feed([UInt8(0xA0)]))
    }

    @Test func resetRestoresTheFullContinuationRange() {
        let validator = Harness()
        #expect(validator.feed([UInt8(0xF4)]))
        validator.reset()
        // After F4 only 80–8F may follow; after reset and C2, 80–BF may.
        #expect(validator.feed([UInt8(0xC2), 0xBF]))
        #expect(validator.isComplete)
    }

    @Test func acceptsAnEmptyBufferWithoutAPointer() {
        var validator = UTF8Validator()
        let accepted = validator.validate(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(accepted)
        #expect(validator.isComplete)
    }
}
