import Testing
@testable import ChatProtocol

struct TextRuleTests {
    func code(_ s: String, _ rule: TextRule) -> ErrorCode? {
        do {
            try rule.check(s, field: "f")
            return nil
        } catch {
            return error.code
        }
    }

    /// The rule walks UTF-8 bytes; this is the scalar walk it replaced, the reference.
    func referenceCode(_ s: String, _ rule: TextRule, allows: (UInt32) -> Bool) -> ErrorCode? {
        let scalars = s.unicodeScalars.map(\.value)
        if scalars.count > rule.maxLength { return rule.isFreeText ? .textTooLong : .invalidField }
        if scalars.count < rule.minLength { return .invalidField }
        if !scalars.allSatisfy(allows) { return .invalidField }
        if rule.isFreeText && !scalars.isEmpty && scalars.allSatisfy(TextRule.isWhiteSpace) { return .emptyMessage }
        return nil
    }

    @Test func theByteWalkAgreesWithAScalarWalkOnMixedText() {
        // Whitespace of every UTF-8 length, controls, ASCII, Hangul, emoji and a joiner.
        let pieces: [String] = [" ", "\t", "\n", "\u{1}", "\u{7F}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2003}", "\u{2028}",
                                "\u{3000}", "a", "Z", "7", "-", "_", "한", "국", "😀", "\u{200D}", "é", "\u{10FFFF}"]
        let rules: [(TextRule, (UInt32) -> Bool)] = [
            (.messageText, { ($0 >= 0x20 && $0 != 0x7F) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }),
            (.personName, { $0 >= 0x20 && $0 != 0x7F }),
            (.identifier, { v in (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || [0x2E, 0x5F, 0x3A, 0x40, 0x2B, 0x2D].contains(v) }),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            for (rule, allows) in rules {
                #expect(code(text, rule) == referenceCode(text, rule, allows: allows), "\(Array(text.unicodeScalars.map(\.value)))")
            }
        }
    }

    @Test func lengthsCountUnicodeCodePoints() {
        #expect(code(String(repeating: "한", count: 4000), .messageText) == nil)
        #expect(code(String(repeating: "한", count: 4001), .messageText) == .textTooLong)
        #expect(code(String(repeating: "😀", count: 4000), .messageText) == nil)
        // A family emoji is one Character but five code points.
        let family = "👨‍👩‍👧"
        #expect(family.count == 1 && family.unicodeScalars.count == 5)
        #expect(code(String(repeating: family, count: 800), .messageText) == nil)
        #expect(code(String(repeating: family, count: 801), .messageText) == .textTooLong)
    }

    @Test func overlongFreeTextIsTextTooLongAndOtherStringsInvalidField() {
        #expect(code(String(repeating: "a", count: 1001), .comment) == .textTooLong)
        #expect(code(String(repeating: "a", count: 4001), .firstMessage) == .textTooLong)
        #expect(code(String(repeating: "a", count: 101), .personName) == .invalidField)
        #expect(code(String(repeating: "a", count: 65), .identifier) == .invalidField)
    }

    @Test func freeTextMayHoldLineBreaksButNoOtherControls() {
        #expect(code("a\nb\r\nc\td", .messageText) == nil)
        #expect(code("a\u{0}b", .messageText) == .invalidField)
        #expect(code("a\u{7F}b", .messageText) == .invalidField)
        #expect(code("a\u{1B}[31m", .messageText) == .invalidField)
        #expect(code("김\n하늘", .personName) == .invalidField)
    }

    @Test func whitespaceOnlyFreeTextIsEmpty() {
        #expect(code(" ", .messageText) == .emptyMessage)
        #expect(code("\u{3000}\u{2028}\u{85}", .messageText) == .emptyMessage)
        #expect(code("", .messageText) == .invalidField)
        #expect(code("", .comment) == nil)
        #expect(code("  ", .comment) == .emptyMessage)
        #expect(code(" . ", .messageText) == nil)
    }

    @Test func identifiersAreShortASCIIWords() {
        for good in ["a", "c-20260504-0042", "minji.park", "kim@shop.kr", "x+y:z_1"] {
            #expect(code(good, .identifier) == nil, "\(good)")
        }
        for bad in ["", "a b", "한", "a/b", "a\"b", "é"] {
            #expect(code(bad, .identifier) == .invalidField, "\(bad)")
        }
    }

    @Test func sessionTokensAreLongBase64URL() {
        #expect(code(String(repeating: "A", count: 22), .sessionToken) == nil)
        #expect(code(String(repeating: "A", count: 21), .sessionToken) == .invalidField)
        #expect(code(String(repeating: "A", count: 21) + "+", .sessionToken) == .invalidField)
        #expect(code(String(repeating: "-_", count: 64), .sessionToken) == nil)
        #expect(code(String(repeating: "a", count: 129), .sessionToken) == .invalidField)
    }

    @Test func whiteSpaceIsUnicodesWhiteSpaceProperty() {
        for v: UInt32 in [0x09, 0x0A, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000] {
            #expect(TextRule.isWhiteSpace(v), "\(v)")
        }
        for v: UInt32 in [0x200B, 0xFEFF, 0x180E, 0x41, 0x1C] {
            #expect(!TextRule.isWhiteSpace(v), "\(v)")
        }
    }
}
