import WebSocket
import Testing

/// RFC 6455 §5 and §7 on the receiving side, on bytes: what a server and a client
/// accept, which close code each violation gets, and that splitting the input
/// anywhere changes nothing.
@Suite struct FrameReaderTests {
    // MARK: The RFC's own examples (§5.7)

    @Test func serverReadsTheRFCsMaskedHello() {
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(readEvents(bytes, role: .server) == [.text("Hello")])
    }

    @Test func clientReadsTheRFCsUnmaskedHello() {
        let bytes: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        #expect(readEvents(bytes, role: .client) == [.text("Hello")])
    }

    @Test func clientAssemblesTheRFCsFragmentedHello() {
        let bytes: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]
        #expect(readEvents(bytes, role: .client) == [.text("Hello")])
    }

    @Test func clientReadsTheRFCsPingAndServerReadsItsMaskedPong() {
        #expect(readEvents([0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F], role: .client) == [.ping(Array("Hello".utf8))])
        #expect(readEvents([0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58], role: .server) == [.pong(Array("Hello".utf8))])
    }

    @Test func readsSixteenAndSixtyFourBitLengths() {
        let medium = pattern(256), large = pattern(65536)
        #expect(Array(serverFrame(.binary, medium).prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(Array(serverFrame(.binary, large).prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(readEvents(serverFrame(.binary, medium), role: .client) == [.binary(medium)])
        #expect(readEvents(serverFrame(.binary, large), role: .client) == [.binary(large)])
        #expect(readEvents(clientFrame(.binary, large), role: .server) == [.binary(large)])
    }

    @Test func readsLengthsWrittenInALongerFormThanNeeded() {
        #expect(readEvents(frameBytes(0x2, [1, 2, 3], mask: exampleKey, length: .sixteenBit)) == [.binary([1, 2, 3])])
        #expect(readEvents(frameBytes(0x2, [1, 2, 3], mask: exampleKey, length: .sixtyFourBit)) == [.binary([1, 2, 3])])
    }

    @Test func readsEmptyMessagesAndControlFrames() {
        let bytes = clientFrame(.text) + clientFrame(.binary) + clientFrame(.ping) + clientFrame(.pong)
        #expect(readEvents(bytes) == [.text(""), .binary([]), .ping([]), .pong([])])
    }

    @Test func readsSeveralFramesFromOneRead() {
        let bytes = clientFrame(.text, "one") + clientFrame(.binary, [9, 8]) + clientFrame(.text, "안녕")
        #expect(readEvents(bytes) == [.text("one"), .binary([9, 8]), .text("안녕")])
    }

    @Test func deliversAWholeSingleFrameMessageInPlaceWithoutCopying() {
        var input = clientFrame(.binary, pattern(40))
        input.withUnsafeMutableBytes { buffer in
            var reader = FrameReader(role: .server)
            var consumed = 0
            guard case .message(_, let payload, _)? = reader.next(buffer, consumed: &consumed) else {
                Issue.record("expected a message")
                return
            }
            #expect(payload.baseAddress == UnsafeRawPointer(buffer.baseAddress! + 6))
            #expect(Array(payload) == pattern(40))
        }
    }

    // MARK: Masking rules (§5.1)

    @Test func serverRejectsAnUnmaskedFrameWith1002() {
        #expect(readEvents(serverFrame(.text, Array("hi".utf8)), role: .server) == [.failure(.protocolError)])
    }

    @Test func clientRejectsAMaskedFrameWith1002() {
        #expect(readEvents(clientFrame(.text, "hi"), role: .client) == [.failure(.protocolError)])
    }

    @Test func serverRejectsAnUnmaskedControlFrameWith1002() {
        #expect(readEvents(serverFrame(.ping), role: .server) == [.failure(.protocolError)])
    }

    // MARK: Reserved bits and opcodes (§5.2)

    @Test(arguments: [UInt8(0x40), 0x20, 0x10, 0x70])
    func rejectsReservedBitsWithoutAnExtensionWith1002(_ rsv: UInt8) {
        #expect(readEvents(clientFrame(.text, Array("x".utf8), rsv: rsv)) == [.failure(.protocolError)])
    }

    @Test func acceptsRSV1OnceAnExtensionClaimsItAndMarksTheMessageCompressed() {
        // Compressed text is not UTF-8 until it is inflated; the reader must not check it.
        let deflated: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
        let events = readEvents(clientFrame(.text, deflated, rsv: 0x40), allowedReservedBits: 0x40)
        #expect(events == [.message(.text, deflated, compressed: true)])
    }

    @Test func marksAFragmentedMessageCompressedFromItsFirstFrame() {
        let bytes = clientFrame(.binary, [1, 2], fin: false, rsv: 0x40) + clientFrame(.continuation, [3], fin: true)
        #expect(readEvents(bytes, allowedReservedBits: 0x40) == [.message(.binary, [1, 2, 3], compressed: true)])
    }

    @Test func leavesAMessageWithoutRSV1UncompressedWhenTheExtensionIsOn() {
        #expect(readEvents(clientFrame(.text, "plain"), allowedReservedBits: 0x40) == [.text("plain")])
    }

    @Test func rejectsReservedBitsTheExtensionDidNotClaimWith1002() {
        #expect(readEvents(clientFrame(.text, Array("x".utf8), rsv: 0x20), allowedReservedBits: 0x40) == [.failure(.protocolError)])
    }

    @Test func rejectsRSV1OnAControlFrameEvenWithTheExtensionWith1002() {
        #expect(readEvents(clientFrame(.ping, [], rsv: 0x40), allowedReservedBits: 0x40) == [.failure(.protocolError)])
    }

    @Test func rejectsRSV1OnAContinuationFrameWith1002() {
        let bytes = clientFrame(.text, Array("a".utf8), fin: false, rsv: 0x40) + clientFrame(.continuation, Array("b".utf8), rsv: 0x40)
        #expect(readEvents(bytes, allowedReservedBits: 0x40) == [.failure(.protocolError)])
    }

    @Test(arguments: [UInt8(0x3), 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func rejectsReservedOpcodesWith1002(_ opcode: UInt8) {
        #expect(readEvents(frameBytes(opcode, [1], mask: exampleKey)) == [.failure(.protocolError)])
    }

    @Test func rejectsASixtyFourBitLengthWithItsMostSignificantBitSetWith1002() {
        let bytes = frameBytes(0x2, [], mask: exampleKey, length: .sixtyFourBit, declaredLength: 1 << 63)
        #expect(readEvents(bytes) == [.failure(.protocolError)])
        #expect(readEventsOneByteAtATime(bytes) == [.failure(.protocolError)])
    }

    // MARK: Control frames (§5.5)

    @Test func rejectsAFragmentedControlFrameWith1002() {
        #expect(readEvents(clientFrame(.ping, [1], fin: false)) == [.failure(.protocolError)])
        #expect(readEvents(clientFrame(.close, closeBody(1000), fin: false)) == [.failure(.protocolError)])
    }

    @Test func acceptsAControlFrameOf125Bytes() {
        #expect(readEvents(clientFrame(.ping, pattern(125))) == [.ping(pattern(125))])
    }

    @Test func rejectsAControlFrameLongerThan125BytesWith1002() {
        #expect(readEvents(clientFrame(.ping, pattern(126))) == [.failure(.protocolError)])
        #expect(readEvents(clientFrame(.pong, pattern(126))) == [.failure(.protocolError)])
        #expect(readEvents(clientFrame(.close, closeBody(1000, pattern(124)))) == [.failure(.protocolError)])
    }

    @Test func rejectsAnOversizedControlFrameFromItsHeaderAlone() {
        let header = Array(clientFrame(.ping, pattern(126)).prefix(8))
        #expect(readEvents(header) == [.failure(.protocolError)])
    }

    // MARK: Fragmentation (§5.4)

    @Test func assemblesAMessageFromManyFragments() {
        let bytes = clientFrame(.binary, [1], fin: false) + clientFrame(.continuation, [], fin: false)
            + clientFrame(.continuation, [2, 3], fin: false) + clientFrame(.continuation, [4], fin: true)
        #expect(readEvents(bytes) == [.binary([1, 2, 3, 4])])
    }

    @Test func assemblesAMessageWhoseFragmentsAreAllEmpty() {
        #expect(readEvents(clientFrame(.text, [], fin: false) + clientFrame(.continuation, [], fin: true)) == [.text("")])
    }

    @Test func rejectsAContinuationWithoutAMessageWith1002() {
        #expect(readEvents(clientFrame(.continuation, [1])) == [.failure(.protocolError)])
    }

    @Test func rejectsAContinuationAfterTheMessageFinishedWith1002() {
        #expect(readEvents(clientFrame(.text, "done") + clientFrame(.continuation, "more")) == [.text("done"), .failure(.protocolError)])
    }

    @Test(arguments: [Opcode.text, .binary])
    func rejectsANewMessageDuringAFragmentedOneWith1002(_ second: Opcode) {
        let bytes = clientFrame(.text, "a", fin: false) + clientFrame(second, Array("b".utf8))
        #expect(readEvents(bytes) == [.failure(.protocolError)])
    }

    @Test func deliversControlFramesInterleavedWithFragmentsAsTheyArrive() {
        let bytes = clientFrame(.text, "Hel", fin: false) + clientFrame(.ping, Array("p1".utf8))
            + clientFrame(.continuation, "l", fin: false) + clientFrame(.pong, []) + clientFrame(.ping, Array("p2".utf8))
            + clientFrame(.continuation, "o", fin: true)
        let expected: [Event] = [.ping(Array("p1".utf8)), .pong([]), .ping(Array("p2".utf8)), .text("Hello")]
        #expect(readEvents(bytes) == expected)
        #expect(readEventsOneByteAtATime(bytes) == expected)
    }

    @Test func deliversACloseFrameInterleavedWithFragments() {
        let bytes = clientFrame(.binary, [1, 2], fin: false) + clientFrame(.close, closeBody(1001, Array("bye".utf8)))
        #expect(readEvents(bytes) == [.close(.goingAway, reason: "bye")])
    }

    // MARK: UTF-8 (§8.1)

    @Test func rejectsInvalidUTF8InASingleFrameTextMessageWith1007() {
        #expect(readEvents(clientFrame(.text, [0x61, 0xC0, 0x80])) == [.failure(.invalidPayload)])
    }

    @Test func rejectsInvalidUTF8AtTheFirstBadFragmentBeforeTheMessageCompletes() {
        let bytes = clientFrame(.text, "fine ", fin: false) + clientFrame(.continuation, [0x62, 0xED, 0xA0, 0x80], fin: false)
        #expect(readEvents(bytes) == [.failure(.invalidPayload)])
        #expect(readEventsOneByteAtATime(bytes) == [.failure(.invalidPayload)])
    }

    @Test func rejectsInvalidUTF8BeforeTheFrameCarryingItIsComplete() {
        // Only the header and the first three payload bytes have arrived.
        let whole = clientFrame(.text, [0x61, 0x62, 0xFF] + pattern(50).map { $0 & 0x7F }, fin: false)
        #expect(readEvents(Array(whole.prefix(6 + 3))) == [.failure(.invalidPayload)])
    }

    @Test func rejectsInvalidUTF8InASingleFrameMessageSplitAcrossReads() {
        let harness = ReaderHarness()
        let bytes = clientFrame(.text, [0x61, 0x62, 0xF4, 0x90, 0x80, 0x80, 0x63])
        #expect(harness.feed(Array(bytes.prefix(10))) == [.failure(.invalidPayload)])  // up to F4 90
    }

    @Test func rejectsATextMessageEndingInsideACharacterWith1007() {
        #expect(readEvents(clientFrame(.text, [0x61, 0xEC, 0x95])) == [.failure(.invalidPayload)])
        let fragmented = clientFrame(.text, "a", fin: false) + clientFrame(.continuation, [0xEC, 0x95], fin: true)
        #expect(readEvents(fragmented) == [.failure(.invalidPayload)])
    }

    @Test func acceptsACharacterSplitAcrossFragments() {
        let bytes = Array("안".utf8)  // EC 95 88
        let split = clientFrame(.text, [bytes[0]], fin: false) + clientFrame(.ping, [])
            + clientFrame(.continuation, [bytes[1]], fin: false) + clientFrame(.continuation, [bytes[2]], fin: true)
        #expect(readEvents(split) == [.ping([]), .text("안")])
    }

    @Test func doesNotCheckBinaryMessagesForUTF8() {
        let bytes: [UInt8] = [0xC0, 0x80, 0xFF, 0xED, 0xA0, 0x80]
        #expect(readEvents(clientFrame(.binary, bytes)) == [.binary(bytes)])
        #expect(readEvents(clientFrame(.binary, [0xFF], fin: false) + clientFrame(.continuation, [0xFE])) == [.binary([0xFF, 0xFE])])
    }

    @Test func validatesConsecutiveTextMessagesEachFromACharacterBoundary() {
        let bytes = clientFrame(.text, "안녕") + clientFrame(.text, "é", fin: false) + clientFrame(.continuation, "!")
        #expect(readEvents(bytes) == [.text("안녕"), .text("é!")])
    }

    // MARK: Limits

    static let limits = WebSocketLimits(maxFrameSize: 10, maxMessageSize: 20)

    @Test func acceptsAFrameExactlyAtTheFrameLimit() {
        #expect(readEvents(clientFrame(.binary, pattern(10)), limits: Self.limits) == [.binary(pattern(10))])
    }

    @Test func rejectsAFrameOverTheFrameLimitWith1009FromItsHeaderAlone() {
        let header = Array(clientFrame(.binary, pattern(11)).prefix(6))
        #expect(readEvents(header, limits: Self.limits) == [.failure(.messageTooBig)])
    }

    @Test func rejectsAHugeDeclaredLengthWith1009WithoutWaitingForIt() {
        let header = frameBytes(0x2, [], mask: exampleKey, length: .sixtyFourBit, declaredLength: UInt64(Int64.max))
        #expect(readEvents(header) == [.failure(.messageTooBig)])
    }

    @Test func acceptsAFragmentedMessageExactlyAtTheMessageLimit() {
        let bytes = clientFrame(.binary, pattern(10), fin: false) + clientFrame(.continuation, pattern(10))
        #expect(readEvents(bytes, limits: Self.limits) == [.binary(pattern(10) + pattern(10))])
    }

    @Test func rejectsAMessageOverTheMessageLimitWith1009AtTheFragmentThatPassesIt() {
        let start = clientFrame(.binary, pattern(10), fin: false) + clientFrame(.continuation, pattern(10), fin: false)
        let header = Array(clientFrame(.continuation, [1]).prefix(6))
        #expect(readEvents(start + header, limits: Self.limits) == [.failure(.messageTooBig)])
    }

    @Test func countsTheMessageLimitPerMessage() {
        let message = clientFrame(.binary, pattern(10), fin: false) + clientFrame(.continuation, pattern(10))
        #expect(readEvents(message + message, limits: Self.limits) == [.binary(pattern(10) + pattern(10)), .binary(pattern(10) + pattern(10))])
    }

    @Test func doesNotCountInterleavedControlFramesTowardsTheMessageLimit() {
        let bytes = clientFrame(.binary, pattern(10), fin: false) + clientFrame(.ping, pattern(50)) + clientFrame(.continuation, pattern(10))
        #expect(readEvents(bytes, limits: Self.limits) == [.ping(pattern(50)), .binary(pattern(10) + pattern(10))])
    }

    // MARK: Close frames (§5.5.1, §7.4)

    @Test func readsAnEmptyCloseFrameAsHavingNoCode() {
        #expect(readEvents(clientFrame(.close)) == [.close(nil, reason: "")])
    }

    @Test func rejectsACloseFrameWithAOneByteBodyWith1002() {
        #expect(readEvents(clientFrame(.close, [0x03])) == [.failure(.protocolError)])
    }

    @Test(arguments: [UInt16(0), 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535])
    func rejectsACloseCodeThatMayNotBeSentWith1002(_ code: UInt16) {
        #expect(readEvents(clientFrame(.close, closeBody(code))) == [.failure(.protocolError)])
    }

    @Test(arguments: [UInt16(1000), 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999])
    func acceptsACloseCodeThatMayBeSent(_ code: UInt16) {
        #expect(readEvents(clientFrame(.close, closeBody(code))) == [.close(CloseCode(code), reason: "")])
    }

    @Test func readsTheCloseReasonAsUTF8() {
        #expect(readEvents(clientFrame(.close, closeBody(1000, Array("잘 가요".utf8)))) == [.close(.normal, reason: "잘 가요")])
    }

    @Test func rejectsACloseReasonThatIsNotUTF8With1007() {
        #expect(readEvents(clientFrame(.close, closeBody(1000, [0x61, 0xC3]))) == [.failure(.invalidPayload)])
        #expect(readEvents(clientFrame(.close, closeBody(1000, [0xED, 0xBF, 0xBF]))) == [.failure(.invalidPayload)])
    }

    @Test func clientReadsAServerCloseFrame() {
        #expect(readEvents(serverFrame(.close, closeBody(1001, Array("restart".utf8))), role: .client) == [.close(.goingAway, reason: "restart")])
    }

    // MARK: Reads split anywhere

    /// A conversation touching every path: single frames, fragments with control frames
    /// between them, 7- and 16-bit lengths, multi-byte text, and a close.
    static func conversation(role: Role) -> (bytes: [UInt8], events: [Event]) {
        let frame: (Opcode, [UInt8], Bool) -> [UInt8] = { opcode, payload, fin in
            role == .server ? clientFrame(opcode, payload, fin: fin, mask: [0x01, 0x80, 0xFE, 0x5A]) : serverFrame(opcode, payload, fin: fin)
        }
        let korean = Array("안녕하세요, 상담원입니다".utf8)
        var bytes = frame(.text, Array("hello".utf8), true)
        bytes += frame(.binary, pattern(300), true)
        bytes += frame(.text, Array(korean[..<7]), false)
        bytes += frame(.ping, Array("are you there".utf8), true)
        bytes += frame(.continuation, Array(korean[7..<20]), false)
        bytes += frame(.continuation, [], false)
        bytes += frame(.pong, [], true)
        bytes += frame(.continuation, Array(korean[20...]), true)
        bytes += frame(.binary, [], true)
        bytes += frame(.close, closeBody(1000, Array("bye".utf8)), true)
        let events: [Event] = [
            .text("hello"), .binary(pattern(300)), .ping(Array("are you there".utf8)), .pong([]),
            .message(.text, korean, compressed: false), .binary([]), .close(.normal, reason: "bye"),
        ]
        return (bytes, events)
    }

    @Test(arguments: [Role.server, .client])
    func givesTheSameEventsWhenFedOneByteAtATime(_ role: Role) {
        let (bytes, events) = Self.conversation(role: role)
        #expect(readEvents(bytes, role: role) == events)
        #expect(readEventsOneByteAtATime(bytes, role: role) == events)
    }

    @Test(arguments: [Role.server, .client])
    func givesTheSameEventsWhenTheInputIsSplitAtAnyPosition(_ role: Role) {
        let (bytes, events) = Self.conversation(role: role)
        for split in 1..<bytes.count {
            let got = readEvents(bytes, splitAt: split, role: role)
            #expect(got == events, "split at \(split)")
            if got != events { break }
        }
    }

    @Test func givesTheSameEventsForReadsOfEverySize() {
        let (bytes, events) = Self.conversation(role: .server)
        for size in [2, 3, 5, 7, 13, 64, 127] {
            let harness = ReaderHarness()
            let reads = stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
            #expect(harness.feed(reads: reads) == events, "reads of \(size) bytes")
        }
    }

    // MARK: After a failure

    @Test func discardsEverythingAfterAFailure() {
        let harness = ReaderHarness()
        #expect(harness.feed(clientFrame(.continuation, [1]) + clientFrame(.text, "lost")) == [.failure(.protocolError)])
        #expect(harness.reader.failed)
        #expect(harness.feed(clientFrame(.text, "also lost")) == [])
        #expect(harness.feed(clientFrame(.close)) == [])
    }

    @Test func discardsTheRestOfTheReadAfterAFailureMidStream() {
        let harness = ReaderHarness()
        let bytes = clientFrame(.text, "ok") + serverFrame(.text, Array("unmasked".utf8)) + clientFrame(.text, "after")
        #expect(harness.feed(bytes) == [.text("ok"), .failure(.protocolError)])
        #expect(harness.feed(clientFrame(.ping)) == [])
    }

    // MARK: Idleness

    @Test func isIdleOnlyBetweenMessages() {
        let harness = ReaderHarness()
        #expect(harness.reader.isIdle)
        let message = clientFrame(.text, "abc")
        _ = harness.feed(Array(message.prefix(1)))
        #expect(!harness.reader.isIdle, "a partial header is held")
        _ = harness.feed(Array(message[1..<7]))
        #expect(!harness.reader.isIdle, "a frame is half read")
        #expect(harness.feed(Array(message[7...])) == [.text("abc")])
        #expect(harness.reader.isIdle)
        _ = harness.feed(clientFrame(.binary, [1], fin: false))
        #expect(!harness.reader.isIdle, "a fragmented message is open")
        #expect(harness.feed(clientFrame(.continuation, [2])) == [.binary([1, 2])])
        #expect(harness.reader.isIdle)
    }
}
