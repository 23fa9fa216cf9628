import ByteBuffers
import Testing
import WebSocket

/// The connection state machine on bytes (RFC 6455 §5–§7): the closing handshake in
/// both directions, ping/pong, timers as inputs, the one road to a close code, and the
/// masking rule of each role.
@Suite struct WebSocketConnectionTests {
    /// What came out of one `receive` pass, in a comparable form.
    enum Seen: Equatable {
        case text(String), binary([UInt8]), compressed([UInt8]), pong([UInt8])
        case closed(UInt16?, String), failed(UInt16)
    }

    /// Feeds `bytes` (possibly in pieces) and returns the events and the bytes written.
    static func feed(_ machine: inout WebSocketConnection, _ pieces: [[UInt8]]) -> (seen: [Seen], wrote: [UInt8]) {
        let output = ByteBuffer()
        var seen: [Seen] = []
        for piece in pieces {
            var input = piece
            input.withUnsafeMutableBytes { raw in
                var consumed = 0
                while let event = machine.receive(raw, consumed: &consumed, output: output) {
                    switch event {
                    case .message(let opcode, let payload, let compressed):
                        if compressed { seen.append(.compressed(Array(payload))) }
                        else if opcode == .text { seen.append(.text(String(decoding: payload, as: UTF8.self))) }
                        else { seen.append(.binary(Array(payload))) }
                    case .pong(let payload): seen.append(.pong(Array(payload)))
                    case .closed(let code, let reason): seen.append(.closed(code?.rawValue, reason))
                    case .failed(let code, _): seen.append(.failed(code.rawValue))
                    }
                }
            }
        }
        return (seen, output.bytes)
    }

    static func server(now: UInt64 = 0, timeouts: WebSocketConnection.Timeouts = .init()) -> WebSocketConnection {
        WebSocketConnection(role: .server, limits: WebSocketLimits(maxFrameSize: 1024, maxMessageSize: 2048), timeouts: timeouts, now: now)
    }

    static func client(now: UInt64 = 0, timeouts: WebSocketConnection.Timeouts = .init()) -> WebSocketConnection {
        WebSocketConnection(role: .client, timeouts: timeouts, now: now, maskSeed: 42)
    }

    /// Reads the frames a client wrote, as a server would (checks they are masked).
    static func framesSentByClient(_ bytes: [UInt8]) -> [Seen] {
        var server = server()
        return feed(&server, [bytes]).seen
    }

    // MARK: Messages

    @Test func serverDeliversAMaskedTextMessage() {
        var machine = Self.server()
        let (seen, wrote) = Self.feed(&machine, [clientFrame(.text, "Hello")])
        #expect(seen == [.text("Hello")])
        #expect(wrote.isEmpty)
    }

    @Test func fragmentedMessageArrivesWholeWithAPingBetweenItsFragments() {
        var machine = Self.server()
        let bytes = clientFrame(.text, "Hel", fin: false) + clientFrame(.ping, [7]) + clientFrame(.continuation, "lo")
        let (seen, wrote) = Self.feed(&machine, [bytes])
        #expect(seen == [.text("Hello")])
        #expect(wrote == serverFrame(.pong, [7]))
    }

    @Test func splittingTheInputAnywhereChangesNothing() {
        let bytes = clientFrame(.text, "Hel", fin: false) + clientFrame(.continuation, "lo") + clientFrame(.binary, [1, 2, 3])
        for cut in 1..<bytes.count {
            var machine = Self.server()
            let (seen, _) = Self.feed(&machine, [Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(seen == [.text("Hello"), .binary([1, 2, 3])], "cut at \(cut)")
        }
    }

    @Test func compressedMessageIsHandedOverForTheCallerToInflate() {
        var machine = Self.server()
        machine.reader.allowedReservedBits = 0x40
        let (seen, _) = Self.feed(&machine, [clientFrame(.text, [0xF2, 0x48], rsv: 0x40)])
        #expect(seen == [.compressed([0xF2, 0x48])])
    }

    // MARK: Ping and pong

    @Test func serverAnswersAPingWithAnUnmaskedPongOfTheSamePayload() {
        var machine = Self.server()
        let (seen, wrote) = Self.feed(&machine, [clientFrame(.ping, Array("Hello".utf8))])
        #expect(seen.isEmpty)
        #expect(wrote == [0x8A, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    @Test func clientAnswersAPingWithAMaskedPong() {
        var machine = Self.client()
        let (_, wrote) = Self.feed(&machine, [serverFrame(.ping, [1, 2, 3])])
        #expect(wrote[1] & 0x80 != 0)
        #expect(Self.framesSentByClient(wrote) == [.pong([1, 2, 3])])
    }

    @Test func idleConnectionIsPingedAndAPongClearsThePing() {
        let timeouts = WebSocketConnection.Timeouts(idlePing: 100, pong: 50)
        var machine = Self.server(timeouts: timeouts)
        let output = ByteBuffer()
        do { let deadline = machine.tick(now: 100, output: output); #expect(deadline == .none) }
        #expect(output.isEmpty)
        do { let deadline = machine.tick(now: 101, output: output); #expect(deadline == .none) }
        #expect(output.bytes == [0x89, 0x00])
        // A second tick does not ping again while the first is unanswered.
        do { let deadline = machine.tick(now: 120, output: output); #expect(deadline == .none) }
        #expect(output.bytes == [0x89, 0x00])
        let (seen, _) = Self.feed(&machine, [clientFrame(.pong)])
        #expect(seen == [.pong([])])
        do { let deadline = machine.tick(now: 200, output: output); #expect(deadline == .none) }
    }

    @Test func unansweredPingExpires() {
        var machine = Self.server(timeouts: .init(idlePing: 100, pong: 50))
        let output = ByteBuffer()
        _ = machine.tick(now: 101, output: output)
        do { let deadline = machine.tick(now: 151, output: output); #expect(deadline == .none) }
        do { let deadline = machine.tick(now: 152, output: output); #expect(deadline == .expired("no pong within the pong timeout")) }
    }

    @Test func anyBytesCountAsActivityAndPostponeThePing() {
        var machine = Self.server(timeouts: .init(idlePing: 100, pong: 50))
        let output = ByteBuffer()
        machine.noteActivity(now: 90)
        do { let deadline = machine.tick(now: 150, output: output); #expect(deadline == .none) }
        #expect(output.isEmpty)
    }

    @Test func receivingWithTheClockCountsAsActivityEvenForAPartialFrame() {
        var machine = Self.server(timeouts: .init(idlePing: 100, pong: 50))
        let output = ByteBuffer()
        _ = machine.tick(now: 101, output: output)
        #expect(output.bytes == [0x89, 0x00])
        // Half a frame at 120: no event, but the peer is alive and the ping answered.
        var half = Array(clientFrame(.text, "Hello").prefix(3))
        let event = half.withUnsafeMutableBytes { raw in
            var consumed = 0
            return machine.receive(raw, consumed: &consumed, now: 120, output: output)
        }
        #expect(event == nil)
        do { let deadline = machine.tick(now: 200, output: output); #expect(deadline == .none) }
        #expect(output.bytes == [0x89, 0x00])
        // Quiet again from 120: the next ping is due after 220.
        do { let deadline = machine.tick(now: 221, output: output); #expect(deadline == .none) }
        #expect(output.bytes == [0x89, 0x00, 0x89, 0x00])
    }

    @Test func timerDueAgreesWithWhatTickDoes() {
        let timeouts = WebSocketConnection.Timeouts(idlePing: 100, pong: 50, close: 30)
        var machine = Self.server(timeouts: timeouts)
        let output = ByteBuffer()
        #expect(!machine.hasTimerDue(now: 100))
        #expect(machine.hasTimerDue(now: 101))
        _ = machine.tick(now: 101, output: output)  // the idle ping
        #expect(!machine.hasTimerDue(now: 151))
        #expect(machine.hasTimerDue(now: 152))
        #expect(machine.tick(now: 152, output: output) != .none)
        var closing = Self.server(timeouts: timeouts)
        closing.close(code: .normal, now: 10, output: output)
        #expect(!closing.hasTimerDue(now: 40))
        #expect(closing.hasTimerDue(now: 41))
        #expect(closing.tick(now: 41, output: output) != .none)
        closing.transportClosed()
        #expect(!closing.hasTimerDue(now: .max))
        #expect(!Self.server().hasTimerDue(now: .max))  // no timers set
    }

    // MARK: The closing handshake

    @Test func peerStartsTheClosingHandshakeAndGetsItsCodeEchoed() {
        var machine = Self.server()
        let (seen, wrote) = Self.feed(&machine, [clientFrame(.close, closeBody(1000, Array("bye".utf8)))])
        #expect(seen == [.closed(1000, "bye")])
        #expect(wrote == serverFrame(.close, closeBody(1000)))
        #expect(machine.state == .closed)
        #expect(!machine.isOpen)
    }

    @Test func emptyCloseIsAnsweredWithAnEmptyClose() {
        var machine = Self.server()
        let (seen, wrote) = Self.feed(&machine, [clientFrame(.close)])
        #expect(seen == [.closed(nil, "")])
        #expect(wrote == serverFrame(.close))
    }

    @Test func weStartTheClosingHandshakeAndThePeersAnswerCompletesIt() {
        var machine = Self.client()
        let output = ByteBuffer()
        machine.close(code: .normal, now: 0, output: output)
        #expect(machine.state == .closing)
        #expect(Self.framesSentByClient(output.bytes) == [.closed(1000, "")])
        // Messages still in flight are delivered; nothing more can be sent; pings go unanswered.
        let (seen, wrote) = Self.feed(&machine, [serverFrame(.text, Array("late".utf8)) + serverFrame(.ping) + serverFrame(.close, closeBody(1000))])
        #expect(seen == [.text("late"), .closed(1000, "")])
        #expect(wrote.isEmpty)
        #expect(machine.state == .closed)
        let accepted = machine.send(.text, UnsafeRawBufferPointer(start: nil, count: 0), output: output)
        #expect(!accepted)
    }

    @Test func unansweredCloseExpires() {
        var machine = Self.server(timeouts: .init(close: 10))
        let output = ByteBuffer()
        machine.close(code: .goingAway, now: 5, output: output)
        do { let deadline = machine.tick(now: 15, output: output); #expect(deadline == .none) }
        do { let deadline = machine.tick(now: 16, output: output); #expect(deadline == .expired("no close frame within the close timeout")) }
    }

    @Test func nothingIsReadAfterTheCloseFrame() {
        var machine = Self.server()
        let (seen, _) = Self.feed(&machine, [clientFrame(.close) + clientFrame(.text, "after")])
        #expect(seen == [.closed(nil, "")])
    }

    @Test func longCloseReasonIsCutAtACharacterBoundary() {
        var machine = Self.server()
        let output = ByteBuffer()
        machine.close(code: .normal, reason: String(repeating: "가", count: 60), now: 0, output: output)
        let bytes = output.bytes
        #expect(bytes[1] == 2 + 123)  // 41 three-byte characters: 123 bytes of reason
        #expect(String(validating: bytes[4...], as: UTF8.self) == String(repeating: "가", count: 41))
    }

    // MARK: One road to a close code

    @Test func protocolErrorsFailWith1002() {
        var unmasked = Self.server()
        #expect(Self.feed(&unmasked, [serverFrame(.text, Array("hi".utf8))]).seen == [.failed(1002)])
        var maskedFromServer = Self.client()
        #expect(Self.feed(&maskedFromServer, [clientFrame(.text, "hi")]).seen == [.failed(1002)])
        var fragmentedControl = Self.server()
        let (seen, wrote) = Self.feed(&fragmentedControl, [clientFrame(.ping, [], fin: false)])
        #expect(seen == [.failed(1002)])
        #expect(Array(wrote.prefix(4)) == [0x88, wrote[1], 0x03, 0xEA])
        #expect(fragmentedControl.state == .closed)
        #expect(fragmentedControl.sentCloseCode == .protocolError)
    }

    @Test func invalidUTF8FailsWith1007() {
        var machine = Self.server()
        let (seen, wrote) = Self.feed(&machine, [clientFrame(.text, [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80])])
        #expect(seen == [.failed(1007)])
        #expect(Array(wrote.prefix(4)) == [0x88, wrote[1], 0x03, 0xEF])
    }

    @Test func tooBigFailsWith1009() {
        var machine = Self.server()
        let (seen, wrote) = Self.feed(&machine, [clientFrame(.binary, [UInt8](repeating: 1, count: 1025))])
        #expect(seen == [.failed(1009)])
        #expect(Array(wrote.prefix(4)) == [0x88, wrote[1], 0x03, 0xF1])
    }

    @Test func internalErrorSendsNoDetails() {
        var machine = Self.server()
        let output = ByteBuffer()
        machine.fail(.internalError, reason: "zlib said Z_MEM_ERROR", output: output)
        #expect(output.bytes == [0x88, 0x02, 0x03, 0xF3])
        #expect(machine.state == .closed)
    }

    @Test func failingAfterOurCloseSendsNoSecondClose() {
        var machine = Self.server()
        let output = ByteBuffer()
        machine.close(code: .normal, now: 0, output: output)
        let sent = output.count
        machine.fail(.protocolError, reason: "late", output: output)
        #expect(output.count == sent)
    }

    // MARK: Masking per role

    @Test func serverSendsUnmaskedFrames() {
        var machine = Self.server()
        let output = ByteBuffer()
        let payload: [UInt8] = Array("Hello".utf8)
        let accepted = payload.withUnsafeBytes { machine.send(.text, $0, output: output) }
        #expect(accepted)
        #expect(output.bytes == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    @Test func clientMasksEveryFrameWithAFreshKey() {
        var machine = Self.client()
        let output = ByteBuffer()
        let payload: [UInt8] = Array("Hello".utf8)
        payload.withUnsafeBytes {
            machine.send(.text, $0, output: output)
            machine.send(.text, $0, output: output)
        }
        let bytes = output.bytes
        #expect(bytes.count == 2 * 11)
        #expect(bytes[1] == 0x85 && bytes[12] == 0x85)
        #expect(bytes[2..<6] != bytes[13..<17])
        #expect(Self.framesSentByClient(bytes) == [.text("Hello"), .text("Hello")])
    }
}
