import Testing
import ChatProtocol

struct ApplicationCloseCodeTests {
    @Test func everyCodeIsInTheApplicationRange() {
        for code in ApplicationCloseCode.allCases { #expect((4000...4999).contains(code.rawValue)) }
    }

    @Test func reasonsFitAControlFrame() {
        for code in ApplicationCloseCode.allCases {
            #expect(code.reason.utf8.count <= 123)
            #expect(code.reason.allSatisfy { $0.isASCII })
        }
    }

    @Test func onlyRateLimitingAndUnavailableInviteAnAutomaticReconnect() {
        #expect(ApplicationCloseCode.allCases.filter(\.clientShouldReconnect) == [.rateLimited, .unavailable])
    }
}
