import WebSocket
import Testing

/// The fixed part of a frame (RFC 6455 §5.2), parsed from and written to bytes.
@Suite struct FrameHeaderTests {
    static func parse(_ bytes: [UInt8]) -> FrameHeader.ParseResult {
        bytes.withUnsafeBytes { FrameHeader.parse($0) }
    }

    /// The header's bytes; also checks that `write` stays within `headerLength`.
    static func written(_ header: FrameHeader) -> [UInt8] {
        var output = [UInt8](repeating: 0xEE, count: 16)
        let count = output.withUnsafeMutableBytes { header.write(to: $0.baseAddress!) }
        #expect(count == header.headerLength)
        #expect(output[count...].allSatisfy { $0 == 0xEE }, "write went past the header")
        return Array(output[..<count])
    }

    static func header(_ bytes: [UInt8]) -> FrameHeader? {
        if case .header(let header) = parse(bytes) { return header }
        return nil
    }

    // MARK: Parsing

    @Test func parsesASevenBitUnmaskedHeader() throws {
        let header = try #require(Self.header([0x81, 0x7D]))
        #expect(header.fin)
        #expect(header.opcode == .text)
        #expect(header.reservedBits == 0)
        #expect(header.maskingKey == nil)
        #expect(header.payloadLength == 125)
        #expect(header.headerLength == 2)
    }

    @Test func parsesAMaskedHeaderWithItsKeyInWireOrder() throws {
        let header = try #require(Self.header([0x82, 0x80 | 5, 0x37, 0xFA, 0x21, 0x3D]))
        #expect(header.maskingKey == MaskingKey(0x37, 0xFA, 0x21, 0x3D))
        #expect(header.payloadLength == 5)
        #expect(header.headerLength == 6)
    }

    @Test func parsesASixteenBitLength() throws {
        let header = try #require(Self.header([0x02, 0x7E, 0xFF, 0xFF]))
        #expect(!header.fin)
        #expect(header.opcode == .binary)
        #expect(header.payloadLength == 65535)
        #expect(header.headerLength == 4)
        #expect(try #require(Self.header([0x82, 0xFE, 0x00, 0x7E, 1, 2, 3, 4])).payloadLength == 126)
    }

    @Test func parsesASixtyFourBitLength() throws {
        let header = try #require(Self.header([0x82, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05]))
        #expect(header.payloadLength == 0x01_0203_0405)
        #expect(header.headerLength == 10)
        let largest = try #require(Self.header([0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 9, 8, 7, 6]))
        #expect(largest.payloadLength == UInt64(Int64.max))
        #expect(largest.headerLength == 14)
        #expect(largest.maskingKey == MaskingKey(9, 8, 7, 6))
    }

    @Test func reportsAnUnsetFinReservedBitsAndUnknownOpcodesAsTheyAre() throws {
        let header = try #require(Self.header([0x7B, 0x00]))
        #expect(!header.fin)
        #expect(header.reservedBits == 0x70)
        #expect(header.rawOpcode == 0xB)
        #expect(header.opcode == nil)
    }

    @Test func ignoresThePayloadBytesThatFollow() throws {
        let header = try #require(Self.header([0x81, 0x03, 0x61, 0x62, 0x63]))
        #expect(header.headerLength == 2)
        #expect(header.payloadLength == 3)
    }

    static let completeHeaders: [[UInt8]] = [
        [0x81, 0x05],
        [0x81, 0x85, 1, 2, 3, 4],
        [0x82, 0x7E, 0x01, 0x00],
        [0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4],
        [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0],
        [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4],
    ]

    @Test(arguments: completeHeaders)
    func answersNeedMoreForEveryTruncation(_ bytes: [UInt8]) {
        for count in 0..<bytes.count {
            #expect(Self.parse(Array(bytes.prefix(count))) == .needMore, "\(count) of \(bytes.count) bytes")
        }
        #expect(Self.header(bytes)?.headerLength == bytes.count)
    }

    @Test func rejectsASixtyFourBitLengthWithItsMostSignificantBitSet() {
        #expect(Self.parse([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]) == .invalidLength)
        #expect(Self.parse([0x82, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]) == .invalidLength)
    }

    // MARK: Writing

    static let shortestEncodings: [(UInt64, [UInt8])] = [
        (0, [0x82, 0x00]),
        (125, [0x82, 0x7D]),
        (126, [0x82, 0x7E, 0x00, 0x7E]),
        (65535, [0x82, 0x7E, 0xFF, 0xFF]),
        (65536, [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]),
        (0x0102_0304_0506_0708, [0x82, 0x7F, 1, 2, 3, 4, 5, 6, 7, 8]),
    ]

    @Test(arguments: shortestEncodings)
    func writesTheShortestLengthEncoding(_ length: UInt64, _ expected: [UInt8]) {
        let header = FrameHeader(fin: true, opcode: .binary, payloadLength: length)
        #expect(header.headerLength == expected.count)
        #expect(Self.written(header) == expected)
    }

    @Test func writesFinReservedBitsOpcodeAndTheKeyInWireOrder() {
        let header = FrameHeader(fin: false, reservedBits: 0x40, opcode: .text, maskingKey: MaskingKey(0x37, 0xFA, 0x21, 0x3D), payloadLength: 5)
        #expect(Self.written(header) == [0x41, 0x85, 0x37, 0xFA, 0x21, 0x3D])
    }

    @Test(arguments: [UInt64(0), 1, 125, 126, 127, 65535, 65536, 1 << 32, UInt64(Int64.max)], [false, true])
    func writeThenParseGivesTheSameHeader(_ length: UInt64, _ masked: Bool) {
        for (opcode, fin, rsv) in [(Opcode.text, true, UInt8(0)), (.continuation, false, 0x70), (.close, true, 0x10), (.pong, false, 0x40)] {
            let key = masked ? MaskingKey(0xA1, 0x00, 0xFF, 0x5C) : nil
            let header = FrameHeader(fin: fin, reservedBits: rsv, opcode: opcode, maskingKey: key, payloadLength: length)
            #expect(Self.parse(Self.written(header)) == .header(header))
        }
    }

    static let encodedSizes: [(UInt64, Bool, Int)] = [
        (0, false, 2), (125, false, 2), (126, false, 4), (65535, false, 4), (65536, false, 10),
        (0, true, 6), (125, true, 6), (126, true, 8), (65535, true, 8), (65536, true, 14),
    ]

    @Test(arguments: encodedSizes)
    func encodedSizeCountsLengthAndKeyBytes(_ length: UInt64, _ masked: Bool, _ size: Int) {
        #expect(FrameHeader.encodedSize(payloadLength: length, masked: masked) == size)
    }
}
