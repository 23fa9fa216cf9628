import Testing
import ChatCore

struct FAQIndexTests {
    static let entries = [
        FAQEntry(id: "delivery-time", question: "배송은 언제 오나요?",
                 answer: "결제 후 1~3일 안에 도착합니다.", keywords: ["배송", "배달", "택배"]),
        FAQEntry(id: "refund-time", question: "환불은 언제 되나요?",
                 answer: "반품 확인 후 3영업일 안에 환불됩니다.", keywords: ["환불", "반품"]),
        FAQEntry(id: "address-change", question: "배송지를 바꿀 수 있나요?",
                 answer: "출고 전까지 주문 상세에서 바꿀 수 있습니다.", keywords: ["배송지", "주소"]),
        FAQEntry(id: "delivery-time-en", question: "When will my order arrive?",
                 answer: "Within 1 to 3 days after payment.", language: .en, keywords: ["delivery", "shipping"]),
    ]
    static let index = FAQIndex(entries: entries, threshold: 0.35, limit: 3)

    @Test func aParticleOnTheWordStillFindsTheDeliveryAnswer() {
        let matches = Self.index.matches(for: "배송이 언제 와요?", language: .ko)
        #expect(matches.first?.entryID == "delivery-time")
        #expect(!matches.contains { $0.entryID == "refund-time" })
    }

    @Test func everyParticleFormMatches() {
        for message in ["배송은 언제쯤?", "배송을 기다려요", "배송이 안 와요"] {
            #expect(Self.index.matches(for: message, language: .ko).first?.entryID == "delivery-time", "\(message)")
        }
    }

    @Test func theBestAnswerComesFirstAndWeakOnesAreLeftOut() {
        let matches = Self.index.matches(for: "배송지 주소를 바꾸고 싶어요", language: .ko)
        #expect(matches.first?.entryID == "address-change")
        #expect(matches.allSatisfy { $0.score >= 0.35 })
        #expect(zip(matches, matches.dropFirst()).allSatisfy { $0.score >= $1.score })
    }

    @Test func unrelatedMessagesMatchNothing() {
        #expect(Self.index.matches(for: "안녕하세요", language: .ko).isEmpty)
        #expect(Self.index.matches(for: "", language: .ko).isEmpty)
        #expect(Self.index.matches(for: "?!", language: .ko).isEmpty)
    }

    @Test func onlyEntriesInTheCustomersLanguageAreOffered() {
        #expect(Self.index.matches(for: "When will my delivery arrive?", language: .en).first?.entryID == "delivery-time-en")
        #expect(Self.index.matches(for: "When will my delivery arrive?", language: .ko).isEmpty)
    }

    @Test func theLimitCapsHowManyAreOffered() {
        let one = FAQIndex(entries: Self.entries, threshold: 0.0001, limit: 1)
        #expect(one.matches(for: "배송 환불 배송지", language: .ko).count == 1)
    }
}
