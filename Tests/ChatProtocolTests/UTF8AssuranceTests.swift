@testable import ChatProtocol
import Testing

/// Decoding bytes the WebSocket layer validated gives what the checked decoder gives.
struct UTF8AssuranceTests {
    static let messages = [
        #"{"type":"send","id":"m1","text":"배송이 언제 와요? 😀"}"#,
        #"{"type":"send","id":"m2","text":"escaped \u00e9 \ud83d\ude00 \"quoted\" \\ and plain é"}"#,
        #"{"type":"start_chat","id":"s","queue":"orders","name":"김고객","first_message":"환불\n문의"}"#,
    ]

    @Test(arguments: messages)
    func validatedBytesDecodeAsTheCheckedDecoderDoes(_ json: String) throws {
        let bytes = Array(json.utf8)
        let checked = try bytes.withUnsafeBytes { raw throws(ProtocolError) in try ClientMessage.decode(raw, from: .customer) }
        let trusted = try bytes.withUnsafeBytes { raw throws(ProtocolError) in
            try ClientMessage.decode(raw, from: .customer, utf8: .validated)
        }
        #expect(trusted == checked)
        #expect(trusted.encoded() == checked.encoded())
    }

    /// Every server message of protocol/examples decodes the same either way (the load
    /// tester decodes what the broker says with `.validated`).
    @Test func validatedServerMessagesDecodeAsTheCheckedDecoderDoes() throws {
        let examples = ProtocolFiles.examples.filter { $0.sender == .server }
        #expect(examples.count > 30)
        for example in examples {
            let checked = try example.bytes.withUnsafeBytes { raw throws(ProtocolError) in try ServerMessage.decode(raw) }
            let trusted = try example.bytes.withUnsafeBytes { raw throws(ProtocolError) in
                try ServerMessage.decode(raw, utf8: .validated)
            }
            #expect(trusted == checked, "\(example.name)")
        }
    }

    @Test func theCheckedDecoderStillRefusesInvalidUTF8() {
        let bytes: [UInt8] = Array(#"{"type":"send","id":"m1","text":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: ProtocolError.self) { try ClientMessage.decode(bytes, from: .customer) }
    }
}
