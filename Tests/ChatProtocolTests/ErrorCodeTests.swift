import Testing
import ChatCore
import ChatProtocol

struct ErrorCodeTests {
    @Test func everyCodeIsUniqueSnakeCaseASCII() {
        let codes = ErrorCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        for code in codes { #expect(code.allSatisfy { ($0 >= "a" && $0 <= "z") || $0 == "_" }, "\(code)") }
    }

    @Test func everyDomainErrorHasItsWireCode() {
        let startUpOnly: Set = ["duplicate_agent", "unknown_time_zone", "invalid_configuration"]
        for error in ChatError.allExamples where !startUpOnly.contains(error.code) {
            #expect(ErrorCode(rawValue: error.code) != nil, "ChatError \(error.code) has no wire code")
        }
        for code in startUpOnly { #expect(ErrorCode(rawValue: code) == nil) }
    }

    @Test func theProtocolLevelCodesAreTheOnesTheBriefNames() {
        for code in ["invalid_json", "unknown_type", "unknown_field", "missing_field", "invalid_field", "text_too_long",
                     "not_authenticated", "forbidden", "rate_limited"] {
            #expect(ErrorCode(rawValue: code) != nil, "\(code)")
        }
    }

    @Test func fatalCodesCloseWithTheirApplicationCode() {
        #expect(ErrorCode.notAuthenticated.closeCode?.rawValue == 4001)
        #expect(ErrorCode.authenticationFailed.closeCode?.rawValue == 4003)
        #expect(ErrorCode.rateLimited.closeCode?.rawValue == 4008)
        #expect(ErrorCode.sessionReplaced.closeCode?.rawValue == 4009)
        let alwaysFatal = ErrorCode.allCases.filter(\.isAlwaysFatal)
        #expect(Set(alwaysFatal) == [.notAuthenticated, .authenticationFailed, .sessionReplaced])
        for code in alwaysFatal { #expect(code.closeCode != nil) }
        #expect(ErrorCode.invalidJSON.closeCode == nil)
    }

    @Test func theSchemaAndTheEnumListTheSameCodes() throws {
        let schema = String(decoding: ProtocolFiles.read(ProtocolFiles.protocolDirectory + "/switchboard.v1.schema.json"),
                            as: UTF8.self)
        for code in ErrorCode.allCases { #expect(schema.contains("\"\(code.rawValue)\""), "\(code.rawValue)") }
    }
}
