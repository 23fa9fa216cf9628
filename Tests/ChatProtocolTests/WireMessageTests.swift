import Testing
@testable import ChatProtocol

/// Every worked example in protocol/examples, through the decoders and back.
struct WireMessageTests {
    static let examples = ProtocolFiles.examples

    @Test func theExamplesAreThere() {
        #expect(Self.examples.count > 100)
    }

    @Test(arguments: examples.map(\.name))
    func everyExampleDecodesAndReEncodesToTheSameJSON(name: String) throws {
        let example = try #require(Self.examples.first { $0.name == name })
        let encoded: [UInt8]
        switch example.sender {
        case .client(let role):
            let message = try ClientMessage.decode(example.bytes, from: role)
            #expect(message.role == role)
            encoded = message.encoded()
            #expect(try ClientMessage.decode(encoded, from: role) == message)
        case .server:
            let message = try ServerMessage.decode(example.bytes)
            encoded = message.encoded()
            #expect(try ServerMessage.decode(encoded) == message)
        }
        #expect(ProtocolFiles.same(ProtocolFiles.parse(encoded), example.value),
                "\(name): \(String(decoding: encoded, as: UTF8.self))")
    }

    @Test func everyMessageTypeAppearsInTheExamples() throws {
        var seen: [String: Set<String>] = [:]
        for example in Self.examples {
            guard case .object(let o) = example.value, case .string(let type)? = o["type"] else { continue }
            seen[example.sender.description, default: []].insert(type)
        }
        #expect(Set(CustomerMessage.types).subtracting(seen["customer"] ?? []).isEmpty)
        #expect(Set(AgentMessage.types).subtracting(seen["agent"] ?? []).isEmpty)
        #expect(Set(SupervisorMessage.types).subtracting(seen["supervisor"] ?? []).isEmpty)
        #expect(Set(ServerMessage.types).subtracting(seen["server"] ?? []).isEmpty)
    }

    @Test func encodingPutsTypeFirstAndWritesNoSpaces() throws {
        let message = CustomerMessage.send(CustomerSend(id: "m-1", text: "배송 \"언제\"\n와요?"))
        #expect(message.json == #"{"type":"send","id":"m-1","text":"배송 \"언제\"\n와요?"}"#)
    }

    @Test func encodeIntoAppendsToWhatIsThere() {
        var bytes = Array("x".utf8)
        ServerMessage.placeInLine(PlaceInLine(place: 2)).encode(into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #"x{"type":"place_in_line","place":2}"#)
    }
}
