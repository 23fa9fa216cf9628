import Testing
@testable import Privacy

struct CheckDigitsTests {
    func digits(_ s: String) -> ArraySlice<UInt8> { ArraySlice(s.utf8.map { $0 - 0x30 }) }

    @Test func residentNumberCheckDigitFollowsTheWeights() {
        #expect(CheckDigits.isResidentNumber(digits("9001011234568")))
        #expect(!CheckDigits.isResidentNumber(digits("9001011234567")))
        // Registered foreigners: sex digit 5…8.
        #expect(CheckDigits.isResidentNumber(digits("8505155123459")))
    }

    @Test func luhnAcceptsTestCardsAndRejectsOneDigitOff() {
        for card in ["4111111111111111", "5500000000000004", "378282246310005", "6011111111111117", "4222222222222"] {
            #expect(CheckDigits.isCardNumber(digits(card)), "\(card)")
        }
        #expect(!CheckDigits.isCardNumber(digits("4111111111111112")))
        #expect(!CheckDigits.isCardNumber(digits("411111111111")))  // 12 digits: too short
    }
}
