import Testing
import ChatProtocol

struct ErrorReportTests {
    @Test func aDecodingErrorBecomesARecoverableReport() {
        let report = ErrorReport(ProtocolError(.unknownField, "unknown field 'x'", field: "x", requestID: "r"))
        #expect(report.id == "r")
        #expect(report.code == .unknownField)
        #expect(report.field == "x")
        #expect(!report.fatal)
    }

    @Test func messagesAreClippedToOneLineOfAtMost500() throws {
        let report = ErrorReport(code: .internalError, message: "line\none" + String(repeating: "가", count: 600))
        #expect(!report.message.contains("\n"))
        #expect(report.message.unicodeScalars.count == 500)
        #expect(try ServerMessage.decode(ServerMessage.error(report).encoded()) == .error(report))
        #expect(ErrorReport(code: .forbidden, message: "").message == "error")
    }

    @Test func aFieldThatIsNoFieldNameIsDropped() {
        #expect(ErrorReport(code: .unknownField, message: "m", field: "Bad Key").field == nil)
        #expect(ErrorReport(code: .unknownField, message: "m", field: "order_number").field == "order_number")
    }

    @Test func rateLimitingSaysWhenToRetry() throws {
        let report = ErrorReport(code: .rateLimited, message: "slow down", retryAfterMs: 1500)
        #expect(ServerMessage.error(report).json == #"{"type":"error","code":"rate_limited","message":"slow down","fatal":false,"retry_after_ms":1500}"#)
    }
}
