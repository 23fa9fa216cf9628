import Testing
@testable import Privacy

/// Properties over generated messages: whatever surrounds a personal number, masking
/// leaves no digit run of the kind it found, keeps the length and touches nothing else.
struct MaskingPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failure repeats.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func digit() -> UInt8 { UInt8(next() % 10) }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    }

    static func luhnCompleted(_ body: [UInt8]) -> [UInt8] {
        for check in UInt8(0)...9 where CheckDigits.isCardNumber(ArraySlice(body + [check])) { return body + [check] }
        return body
    }

    static func residentNumber(_ g: inout Generator) -> [UInt8] {
        var d: [UInt8] = [g.digit(), g.digit(), 0, UInt8(1 + g.next() % 9), UInt8(g.next() % 3), UInt8(1 + g.next() % 8)]
        d.append(UInt8(1 + g.next() % 4))
        for _ in 0..<5 { d.append(g.digit()) }
        let weights: [Int] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
        let sum = zip(d, weights).reduce(0) { $0 + Int($1.0) * $1.1 }
        return d + [UInt8((11 - sum % 11) % 10)]
    }

    /// The kinds a fresh masker finds in `text` if run again: must be none (e-mail
    /// aside, whose masked form still reads as an address).
    func leftover(_ text: String) -> PersonalDataKinds {
        PersonalDataMasker().mask(text).found.subtracting(PersonalDataKinds([.email]))
    }

    @Test func maskedCardsAndResidentNumbersLeaveNoRunOfTheirKind() {
        var g = Generator(state: 18)
        let fillers = ["", " ", "번호 ", "abc ", "3개 ", "12 ", "주문 2024-05-01 ", "계좌 "]
        for _ in 0..<2000 {
            let card = MaskingPropertyTests.luhnCompleted((0..<(12 + Int(g.next() % 7))).map { _ in g.digit() }).map { String($0) }
            let separator = g.pick(["", " ", "-"])
            var cardText = ""
            for (i, d) in card.enumerated() {
                if i > 0 && i % 4 == 0 { cardText += separator }
                cardText += d
            }
            if card.first == "0" { continue }
            let rrn = MaskingPropertyTests.residentNumber(&g).map { String($0) }
            let rrnText = rrn[0..<6].joined() + g.pick(["-", "", " "]) + rrn[6...].joined()
            let text = g.pick(fillers) + cardText + g.pick([" 와 ", ", ", " / "]) + rrnText + " " + g.pick(fillers)
            let (masked, found) = PersonalDataMasker().mask(text)
            #expect(found.contains(.cardNumber), "\(text)")
            #expect(found.contains(.residentNumber), "\(text)")
            #expect(leftover(masked).isEmpty, "\(text) -> \(masked)")
            #expect(masked.utf8.count == text.utf8.count)
            #expect(!masked.contains(rrn[7...].joined()), "\(masked)")
            // No run of 13 or more digits survives anywhere.
            var run = 0
            for b in masked.utf8 {
                run = (b >= 0x30 && b <= 0x39) ? run + 1 : (b == 0x20 || b == 0x2D ? run : 0)
                #expect(run < 13, "\(masked)")
            }
        }
    }

    @Test func randomDigitSoupMasksToAFixedPoint() {
        var g = Generator(state: 7)
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<Int(g.next() % 40) {
                text += g.pick(["0", "1", "4", "9", " ", "-", "계좌", "@", "a.kr", "x", "010"])
            }
            let (masked, _) = PersonalDataMasker().mask(text)
            #expect(leftover(masked).isEmpty, "\(text) -> \(masked)")
            #expect(PersonalDataMasker().mask(masked).text.utf8.count == text.utf8.count)
        }
    }
}
