import Privacy
import Testing
@testable import ChatServer

/// `[privacy]`: one switch per kind, all on by default.
struct PrivacyConfigurationTests {
    @Test func everyKindIsMaskedByDefault() throws {
        #expect(try ConfigurationFile.parse("").maskedKinds == .all)
    }

    @Test func aKindCanBeSwitchedOff() throws {
        let kinds = try ConfigurationFile.parse("[privacy]\nemail = false\nphone = false\ncard = true\n").maskedKinds
        #expect(Array(kinds) == [.residentNumber, .cardNumber, .bankAccount])
    }

    @Test func anUnknownKindOrAWrongTypeIsRefused() {
        #expect(throws: ConfigurationError.self) { try ConfigurationFile.parse("[privacy]\npassport = true\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationFile.parse("[privacy]\ncard = \"yes\"\n") }
    }

    @Test func theNoticeSpeaksTheSessionsLanguage() {
        #expect(ServiceDesk.maskedNotice(.cardNumber, in: .ko).contains("카드 번호"))
        #expect(ServiceDesk.maskedNotice(.residentNumber, in: .en).contains("resident registration number"))
    }
}
