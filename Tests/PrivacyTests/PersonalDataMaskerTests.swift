import Testing
@testable import Privacy

/// Each detector on real-format examples, valid and invalid check digits.
struct PersonalDataMaskerTests {
    let masker = PersonalDataMasker()

    func masked(_ text: String) -> String { masker.mask(text).text }
    func kinds(_ text: String) -> [PersonalDataKind] { Array(masker.mask(text).found) }

    @Test func residentNumberWithValidCheckDigitKeepsBirthDateAndSexDigit() {
        #expect(masked("주민번호 900101-1234568 입니다") == "주민번호 900101-1****** 입니다")
        #expect(kinds("900101-1234568") == [.residentNumber])
        #expect(masked("9001011234568") == "9001011******")
    }

    @Test func residentNumberWithWrongCheckDigitIsLeftAlone() {
        #expect(masked("900101-1234567") == "900101-1234567")
        #expect(kinds("900101-1234567").isEmpty)
    }

    @Test func datesAndOrderNumbersAreNotResidentNumbers() {
        // Month 13 and a sex digit 0 cannot be a resident number, whatever the sum.
        #expect(kinds("2024-05-01 주문 20240501-0000123").isEmpty)
        #expect(kinds("901301-1234561").isEmpty)
    }

    @Test func cardNumberPassingLuhnKeepsOnlyTheLastFour() {
        #expect(masked("카드 4111 1111 1111 1111 로") == "카드 **** **** **** 1111 로")
        #expect(masked("5500-0000-0000-0004") == "****-****-****-0004")
        #expect(masked("378282246310005") == "***********0005")
        #expect(kinds("4111111111111111") == [.cardNumber])
    }

    @Test func cardNumberFailingLuhnIsLeftAlone() {
        #expect(masked("4111 1111 1111 1112") == "4111 1111 1111 1112")
    }

    @Test func cardNumberAmongOtherDigitsIsFound() {
        #expect(masked("3개 10000원 4111 1111 1111 1111") == "3개 10000원 **** **** **** 1111")
    }

    @Test func koreanPhoneNumbersHideTheMiddle() {
        #expect(masked("010-1234-5678") == "010-****-5678")
        #expect(masked("01012345678") == "010****5678")
        #expect(masked("02-123-4567") == "02-***-4567")
        #expect(masked("031 1234 5678") == "031 **** 5678")
        #expect(kinds("010-1234-5678") == [.phoneNumber])
    }

    @Test func numbersThatAreNotPhoneNumbersStay() {
        #expect(kinds("1588-1234").isEmpty)
        #expect(kinds("090-1234-5678").isEmpty)
        #expect(kinds("주문번호 123-4567-8901").isEmpty)
    }

    @Test func bankAccountOnlyAfterAKeyword() {
        #expect(masked("환불 계좌: 국민 123456-01-234567") == "환불 계좌: 국민 ******-**-**4567")
        #expect(masked("account no 1002-345-678901") == "account no ****-***-**8901")
        #expect(kinds("주문번호 123456-01-234567").isEmpty)
    }

    @Test func emailKeepsTheFirstLetterAndTheHost() {
        #expect(masked("메일 kim.minsu@example.co.kr 로") == "메일 k********@example.co.kr 로")
        #expect(kinds("a@b.kr") == [.email])
        #expect(kinds("@handle and x@y").isEmpty)
    }

    @Test func kindsSwitchedOffAreNotMasked() {
        let cardsOnly = PersonalDataMasker(kinds: PersonalDataKinds([.cardNumber]))
        #expect(cardsOnly.mask("010-1234-5678 4111111111111111").text == "010-1234-5678 ************1111")
        // A card number is not half-masked as an account when cards are switched off.
        let accountsOnly = PersonalDataMasker(kinds: PersonalDataKinds([.bankAccount]))
        #expect(accountsOnly.mask("계좌 4111111111111111").text == "계좌 4111111111111111")
    }

    @Test func textWithoutDigitsIsReturnedAsItIs() {
        let text = "배송이 언제 오나요?"
        let (out, found) = masker.mask(text)
        #expect(out == text)
        #expect(found.isEmpty)
    }

    @Test func severalKindsInOneMessage() {
        let (out, found) = masker.mask("카드 4111-1111-1111-1111, 주민 900101-1234568, 010-1234-5678")
        #expect(out == "카드 ****-****-****-1111, 주민 900101-1******, 010-****-5678")
        #expect(Array(found) == [.residentNumber, .cardNumber, .phoneNumber])
    }
}
