import WebSocket
import Testing

/// Which close codes a peer may put on the wire (RFC 6455 §7.4, IANA registry).
@Suite struct CloseCodeTests {
    @Test func allowsTheDefinedCodesAndTheApplicationRange() {
        let allowed = (0...UInt16.max).filter { CloseCode($0).isValidOnWire }
        let expected = Array(1000...1003) + Array(1007...1014) + Array(3000...4999)
        #expect(allowed == expected.map(UInt16.init))
    }

    @Test func neverAllowsTheCodesReservedForReportingLocally() {
        #expect(!CloseCode.noStatus.isValidOnWire)
        #expect(!CloseCode.abnormal.isValidOnWire)
        #expect(!CloseCode(1015).isValidOnWire)
    }

    @Test func namedCodesHaveTheirRegisteredValues() {
        #expect(CloseCode.normal.rawValue == 1000)
        #expect(CloseCode.goingAway.rawValue == 1001)
        #expect(CloseCode.protocolError.rawValue == 1002)
        #expect(CloseCode.invalidPayload.rawValue == 1007)
        #expect(CloseCode.policyViolation.rawValue == 1008)
        #expect(CloseCode.messageTooBig.rawValue == 1009)
        #expect(CloseCode.internalError.rawValue == 1011)
    }
}
