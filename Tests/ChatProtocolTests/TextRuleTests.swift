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
