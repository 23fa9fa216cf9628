import Testing
@testable import ChatProtocol

/// The decoder refuses bad input with the right stable code (protocol/invalid-messages.json
/// and the README's rules beyond the schema).
struct ProtocolErrorTests {
    static let cases = ProtocolFiles.invalidCases

    @Test func theInvalidCorpusIsThere() { #expect(Self.cases.count > 40) }

    @Test(arguments: cases.map(\.why))
    func everyInvalidMessageIsRefusedWithItsCode(why: String) throws {
        let c = try #require(Self.cases.first { $0.why == why })
        let error = #expect(throws: ProtocolError.self) { try ClientMessage.decode(c.bytes, from: c.role) }
        #expect(error?.code == c.code, "\(why): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    func refusal(_ json: String, as role: Role = .customer) -> ProtocolError? {
        do {
            _ = try ClientMessage.decode(Array(json.utf8), from: role)
            return nil
        } catch {
            return error
        }
    }

    @Test func theRequestIDIsEchoedWhenItCanBeRead() {
        #expect(refusal(#"{"type":"rate","id":"r-9","score":9}"#)?.requestID == "r-9")
        #expect(refusal(#"{"type":"nope","id":"r-9"}"#)?.requestID == "r-9")
        #expect(refusal(#"{"type":"rate","id":"bad id","score":3}"#)?.requestID == nil)
        #expect(refusal(#"{"type":"rate","id":"r-9","score":3,}"#)?.requestID == nil)  // not JSON: nothing read
    }

    @Test func theFieldIsNamed() {
        #expect(refusal(#"{"type":"rate","score":9}"#)?.field == "score")
        #expect(refusal(#"{"type":"typing","active":true,"colour":1}"#)?.field == "colour")
        #expect(refusal(#"{"type":"start_chat"}"#)?.field == "queue")
    }

    @Test func whitespaceOnlyTextIsAnEmptyMessage() {
        #expect(refusal(#"{"type":"send","id":"m1","text":" \n\t\u3000"}"#)?.code == .emptyMessage)
        #expect(refusal(#"{"type":"leave_message","text":"\u00a0"}"#)?.code == .emptyMessage)
        #expect(refusal(#"{"type":"send","id":"m1","text":"\u200b"}"#) == nil)  // zero width space is not White_Space
    }

    @Test func unknownFieldsAreFoundBeforeMissingOnesAndMissingBeforeInvalid() {
        #expect(refusal(#"{"type":"rate","score":"x","extra":1}"#)?.code == .unknownField)
        #expect(refusal(#"{"type":"receipt","kind":"bad"}"#)?.code == .missingField)
        #expect(refusal(#"{"type":"receipt","kind":"bad","seq":1}"#)?.code == .invalidField)
    }

    @Test func theFirstUnknownFieldInDocumentOrderIsNamed() {
        #expect(refusal(#"{"zeta":1,"type":"end","alpha":2}"#)?.field == "zeta")
    }

    @Test func anUnquotableFieldNameIsNotEchoedAsTheField() {
        let error = refusal(#"{"type":"end","Bad Key\n":1}"#)
        #expect(error?.code == .unknownField)
        #expect(error?.field == nil)
        #expect(error?.message.contains("\n") == false)
    }

    @Test func describesItselfByCodeAndMessage() {
        #expect(ProtocolError(.forbidden, "no").description == "forbidden: no")
    }
}
