import ByteBuffers
import WebSocket
import Testing

/// Frame serialization (RFC 6455 §5.2, §5.3) and close payloads (§5.5.1), checked on
/// the bytes and by reading them back with a reader of the other role.
@Suite struct FrameWriterTests {
    @Test func serverFramesAreUnmaskedAndMatchTheRFCsExample() {
        #expect(FrameWriter.frame(opcode: .text, payload: Array("Hello".utf8)) == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    @Test func writesFinReservedBitsAndOpcodeInTheFirstByte() {
        #expect(FrameWriter.frame(opcode: .binary, payload: [7], fin: false, reservedBits: 0x40) == [0x42, 0x01, 0x07])
        #expect(FrameWriter.frame(opcode: .continuation, payload: [], fin: true) == [0x80, 0x00])
        #expect(FrameWriter.frame(opcode: .pong, payload: [1, 2]) == [0x8A, 0x02, 1, 2])
    }

    @Test(arguments: [0, 125, 126, 65535, 65536, 70000])
    func serverFramesMatchTheReferenceEncodingAtEveryLengthForm(_ length: Int) {
        #expect(FrameWriter.frame(opcode: .binary, payload: pattern(length)) == serverFrame(.binary, pattern(length)))
    }

    @Test(arguments: [0, 1, 7, 125, 126, 65535, 65536])
    func clientFramesAreMaskedAndAServerReaderDecodesThem(_ length: Int) throws {
        let bytes = FrameWriter.frame(opcode: .binary, payload: pattern(length), mask: true)
        #expect(bytes[1] & 0x80 != 0, "mask bit")
        #expect(bytes.count == FrameHeader.encodedSize(payloadLength: UInt64(length), masked: true) + length)
        #expect(readEvents(bytes, role: .server) == [.binary(pattern(length))])
    }

    @Test func clientFramesCarryTheKeyTheyWereMaskedWith() throws {
        let payload = pattern(37)
        var bytes = FrameWriter.frame(opcode: .text, payload: payload.map { $0 & 0x7F }, mask: true)
        let header = try #require(bytes.withUnsafeBytes { raw -> FrameHeader? in
            if case .header(let header) = FrameHeader.parse(raw) { return header }
            return nil
        })
        let key = try #require(header.maskingKey)
        bytes.withUnsafeMutableBytes { raw in
            _ = key.apply(to: UnsafeMutableRawBufferPointer(rebasing: raw[header.headerLength...]))
        }
        #expect(Array(bytes[header.headerLength...]) == payload.map { $0 & 0x7F })
    }

    @Test func clientFramesUseAFreshKeyEachTime() {
        let keys = Set((0..<8).map { _ in Array(FrameWriter.frame(opcode: .ping, payload: [], mask: true)[2..<6]) })
        #expect(keys.count > 1)
    }

    @Test func aClientReaderDecodesAFragmentedMessageFromTheServer() {
        var bytes = FrameWriter.frame(opcode: .text, payload: Array("상담".utf8).prefix(4).map { $0 }, fin: false)
        bytes += FrameWriter.frame(opcode: .ping, payload: [1])
        bytes += FrameWriter.frame(opcode: .continuation, payload: Array(Array("상담".utf8)[4...]))
        #expect(readEvents(bytes, role: .client) == [.ping([1]), .text("상담")])
    }

    @Test func appendingToAByteBufferWritesTheSameBytesAsAnArray() {
        let buffer = ByteBuffer()
        buffer.append([0xAB])
        for length in [0, 5, 200, 70000] {
            pattern(length).withUnsafeBytes { FrameWriter.append(to: buffer, opcode: .binary, payload: $0) }
        }
        let expected: [UInt8] = [0xAB] + [0, 5, 200, 70000].flatMap { serverFrame(.binary, pattern($0)) }
        #expect(buffer.bytes == expected)
    }

    @Test func appendingToAnArrayKeepsWhatWasThere() {
        var output: [UInt8] = [1, 2, 3]
        [UInt8(9)].withUnsafeBytes { FrameWriter.append(to: &output, opcode: .binary, payload: $0) }
        #expect(output == [1, 2, 3, 0x82, 0x01, 9])
    }

    // MARK: Close payloads

    @Test func closePayloadIsTheCodeInNetworkOrderThenTheReason() {
        #expect(FrameWriter.closePayload(code: .goingAway, reason: "bye") == [0x03, 0xE9, 0x62, 0x79, 0x65])
        #expect(FrameWriter.closePayload(code: CloseCode(4999), reason: "") == [0x13, 0x87])
    }

    @Test func closePayloadCutsALongASCIIReasonTo125Bytes() {
        let reason = String(repeating: "r", count: 300)
        let payload = FrameWriter.closePayload(code: .normal, reason: reason)
        #expect(payload.count == 125)
        #expect(Array(payload[2...]) == Array(reason.utf8.prefix(123)))
    }

    @Test func closePayloadNeverCutsAUTF8CharacterInHalf() {
        // "a" then 3-byte characters: byte 123 of the reason falls inside a character.
        let reason = "a" + String(repeating: "한", count: 60)
        let payload = FrameWriter.closePayload(code: .normal, reason: reason)
        #expect(payload.count == 2 + 1 + 40 * 3)
        #expect(String(decoding: payload[2...], as: UTF8.self) == "a" + String(repeating: "한", count: 40))
        let emoji = String(repeating: "😀", count: 40)  // 4 bytes each: 30 fit in 120
        #expect(Array(FrameWriter.closePayload(code: .normal, reason: emoji)[2...]) == Array(String(repeating: "😀", count: 30).utf8))
    }

    @Test func closePayloadKeepsAReasonThatFitsExactly() {
        let reason = String(repeating: "한", count: 41)  // 123 bytes
        #expect(FrameWriter.closePayload(code: .normal, reason: reason) == closeBody(1000, Array(reason.utf8)))
    }

    @Test func aCutClosePayloadIsAcceptedByAReader() {
        let payload = FrameWriter.closePayload(code: .policyViolation, reason: "é" + String(repeating: "상", count: 100))
        let bytes = FrameWriter.frame(opcode: .close, payload: payload, mask: true)
        #expect(readEvents(bytes) == [.close(.policyViolation, reason: "é" + String(repeating: "상", count: 40))])
    }
}
