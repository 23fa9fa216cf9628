import Testing
import ChatCore

struct BigramSetTests {
    @Test func particlesLeaveTheStemBigramInPlace() {
        for word in ["배송이", "배송은", "배송을", "배송"] {
            #expect(BigramSet(word).contains(allOf: BigramSet("배송")), "\(word)")
        }
    }

    @Test func punctuationAndSpacesSplitWordsAndVanish() {
        #expect(BigramSet("배송이 언제 와요?").grams == ["배송", "송이", "언제", "와요"])
        #expect(BigramSet("!!! ... ").isEmpty)
    }

    @Test func textIsLowercasedAndSingleCharacterWordsCount() {
        #expect(BigramSet("Refund A").grams == ["re", "ef", "fu", "un", "nd", "a"])
        #expect(BigramSet("책").grams == ["책"])
    }

    @Test func decomposedHangulMatchesPrecomposed() {
        let decomposed = "\u{1107}\u{1162}\u{1109}\u{1169}\u{11BC}"  // 배송 as jamo
        #expect(BigramSet(decomposed).contains(allOf: BigramSet("배송")))
    }

    @Test func diceIsOneForEqualSetsAndZeroForDisjoint() {
        #expect(BigramSet("환불 요청").dice(BigramSet("환불 요청")) == 1)
        #expect(BigramSet("환불").dice(BigramSet("배송")) == 0)
        #expect(BigramSet("").dice(BigramSet("")) == 0)
        // {배송, 송이} and {배송, 송은}: 2·1 / (2 + 2)
        #expect(BigramSet("배송이").dice(BigramSet("배송은")) == 0.5)
    }
}
