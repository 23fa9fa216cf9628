#if canImport(Glibc)
import Glibc
#endif
import Testing
import WebSocket
import WebSocketServer

/// A real `ServerConnection` on a running one-loop server, driven over loopback by a
/// raw client: the HTTP upgrade, frames both ways, every close code the server sends,
/// the closing handshake, ping/pong and the timers, and backpressure. These pin the
/// server's behaviour on the wire so that its internals can change under them.
@Suite struct ServerConnectionTests {
    // MARK: HTTP phase

    @Test func upgradeIsAnsweredWith101AndTheAcceptKey() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = rig.connect()
        client.write(Array(RawClient.upgradeRequest().utf8))
        let head = try #require(client.readHead())
        #expect(head.hasPrefix("HTTP/1.1 101"))
        #expect(head.contains("Sec-WebSocket-Accept: \(RawClient.expectedAccept)\r\n"))
        #expect(rig.log.waitFor("opened"))
    }

    @Test func requestWithoutUpgradeIsRefusedAndClosed() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = rig.connect()
        client.write(Array("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let head = try #require(client.readHead())
        #expect(head.hasPrefix("HTTP/1.1 4"))
        #expect(client.readToEnd() == .endOfStream)
        #expect(!rig.log.all.contains("opened"))
    }

    @Test func unfinishedRequestGets408AfterTheHandshakeTimeout() throws {
        let rig = try ServerRig { $0.handshakeTimeout = 0.3 }
        defer { rig.stop() }
        let client = rig.connect()
        client.write(Array("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        let head = try #require(client.readHead())
        #expect(head.hasPrefix("HTTP/1.1 408"))
        #expect(client.readToEnd() == .endOfStream)
    }

    // MARK: Messages

    @Test func maskedTextFrameReachesTheApplicationAndIsEchoedUnmasked() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(text: "héllo")
        #expect(rig.log.waitFor("text:héllo"))
        let echo = try #require(client.readFrame())
        #expect(echo == ReceivedFrame(fin: true, reservedBits: 0, opcode: Opcode.text.rawValue, masked: false, payload: Array("héllo".utf8)))
    }

    @Test func fragmentedMessageWithAPingBetweenIsDeliveredWhole() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(.text, Array("frag".utf8), fin: false)
        client.send(.ping, [1, 2])
        client.send(.continuation, Array("ment".utf8))
        let pong = try #require(client.readFrame())
        #expect(pong.opcode == Opcode.pong.rawValue && pong.payload == [1, 2])
        let echo = try #require(client.readFrame())
        #expect(echo.text == "fragment")
        #expect(rig.log.all.contains("text:fragment"))
    }

    @Test func compressedMessageIsInflatedForTheApplication() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open(extensions: "permessage-deflate"))
        // RFC 7692 §7.2.3.1: "Hello" compressed, in one frame with RSV1.
        client.send(.text, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], reservedBits: 0x40)
        #expect(rig.log.waitFor("text:Hello"))
        // Below the compression threshold, the echo goes back uncompressed.
        let echo = try #require(client.readFrame())
        #expect(echo.text == "Hello" && echo.reservedBits == 0)
    }

    // MARK: Close codes

    @Test func unmaskedClientFrameClosesWith1002() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.write(FrameWriter.frame(opcode: .text, payload: Array("bare".utf8), mask: false))
        try expectClose(client, code: 1002)
        #expect(rig.log.waitFor("closed:1002"))
        #expect(!rig.log.all.contains("text:bare"))
    }

    @Test func invalidUTF8TextClosesWith1007() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(.text, [0x61, 0xC3, 0x28])
        try expectClose(client, code: 1007)
        #expect(rig.log.waitFor("closed:1007"))
    }

    @Test func oversizedMessageClosesWith1009() throws {
        let rig = try ServerRig { $0.webSocket = WebSocketLimits(maxFrameSize: 1024, maxMessageSize: 1024) }
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(.binary, [UInt8](repeating: 1, count: 2000))
        try expectClose(client, code: 1009)
        #expect(rig.log.waitFor("closed:1009"))
        #expect(!rig.log.all.contains("binary:2000"))
    }

    // MARK: Ping, pong, closing handshake

    @Test func pingIsAnsweredWithAPongCarryingItsPayload() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(.ping, Array("are you there".utf8))
        let pong = try #require(client.readFrame())
        #expect(pong == ReceivedFrame(fin: true, reservedBits: 0, opcode: Opcode.pong.rawValue, masked: false, payload: Array("are you there".utf8)))
    }

    @Test func clientCloseIsEchoedAndTheServerClosesFirst() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(.close, [0x03, 0xE8] + Array("done".utf8))
        try expectClose(client, code: 1000)
        #expect(rig.log.waitFor("closed:1000"))
    }

    @Test func emptyClientCloseIsAnsweredWithAnEmptyClose() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(.close, [])
        let frame = try #require(client.readFrame())
        #expect(frame.opcode == Opcode.close.rawValue && frame.payload.isEmpty)
        #expect(client.readToEnd() == .endOfStream)
        #expect(rig.log.waitFor("closed:none"))
    }

    @Test func applicationCloseSendsItsCodeAndReasonThenEndsTheStream() throws {
        let rig = try ServerRig()
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(text: "close-me")
        let frame = try #require(client.readFrame())
        #expect(frame.opcode == Opcode.close.rawValue && frame.closeCode == 1000)
        #expect(frame.payload.dropFirst(2).elementsEqual("bye".utf8))
        #expect(client.readToEnd() == .endOfStream)
        #expect(rig.log.waitFor("closed:1000"))
        // After its close frame the server sends nothing more, whatever arrives.
        #expect(!client.write(FrameWriter.frame(opcode: .text, payload: [0x61], mask: true)) || rig.log.all.last == "closed:1000")
    }

    @Test func peerThatNeverClosesItsSideIsDroppedAfterTheCloseTimeout() throws {
        let rig = try ServerRig { $0.closeTimeout = 0.3 }
        defer { rig.stop() }
        let client = try #require(rig.open())
        client.send(text: "close-me")
        let frame = try #require(client.readFrame())
        #expect(frame.closeCode == 1000)
        #expect(client.readToEnd() == .endOfStream)
        // We keep our side open. Within a second the server gives up and resets, so
        // writing fails (the first write may still go out and draw the reset).
        usleep(1_000_000)
        let first = client.write([0x88, 0x80, 0, 0, 0, 0])
        usleep(50_000)
        let second = client.write([0x88, 0x80, 0, 0, 0, 0])
        #expect(!(first && second))
    }

    @Test func quietPeerIsPingedAndDroppedWhenItDoesNotAnswer() throws {
        let rig = try ServerRig {
            $0.idlePingInterval = 0.3
            $0.pongTimeout = 0.3
        }
        defer { rig.stop() }
        let client = try #require(rig.open())
        let ping = try #require(client.readFrame())
        #expect(ping.opcode == Opcode.ping.rawValue && ping.payload.isEmpty)
        #expect(client.readToEnd() != .timeout)
        #expect(rig.log.waitFor("closed:none"))
    }

    @Test func answeredPingKeepsTheConnectionOpen() throws {
        let rig = try ServerRig {
            $0.idlePingInterval = 0.3
            $0.pongTimeout = 0.3
        }
        defer { rig.stop() }
        let client = try #require(rig.open())
        let ping = try #require(client.readFrame())
        #expect(ping.opcode == Opcode.ping.rawValue)
        client.send(.pong, [])
        usleep(400_000)
        client.send(text: "still here")
        // Another idle ping may come first; the echo must come.
        var frame = try #require(client.readFrame())
        if frame.opcode == Opcode.ping.rawValue { frame = try #require(client.readFrame()) }
        #expect(frame.text == "still here")
        #expect(!rig.log.all.contains("closed:none"))
    }

    // MARK: Backpressure

    /// Has `sender` ask for relays to the slow reader, one at a time, until the server's
    /// send says `result` (at most 32); returns how many it asked for.
    private func relay(from sender: RawClient, until result: String, on rig: ServerRig) -> Int {
        var relayed = 0
        while relayed < 32, rig.log.all.last != result {
            sender.send(text: "relay")
            relayed += 1
            #expect(rig.log.waitFor(count: relayed, of: { $0.hasPrefix("sent:") }))
        }
        return relayed
    }

    @Test func peerThatDoesNotReadIsBackpressuredAndTheQueueDrainsWhenItReads() throws {
        // Room for one message in the queue: the first send is queued, not backpressured.
        let rig = try ServerRig { $0.sendSoftLimit = 2 * RecordingApplication.floodSize }
        defer { rig.stop() }
        let slow = try #require(rig.open(receiveBuffer: 16 * 1024))
        let sender = try #require(rig.open())
        // Messages for the slow reader from another connection (a chat relay). The
        // kernel's send buffer (up to tcp_wmem's maximum) takes the first few; then
        // its queue passes the soft limit.
        let relayed = relay(from: sender, until: "sent:backpressured", on: rig)
        let results = rig.log.all.filter { $0.hasPrefix("sent:") }
        #expect(results.first == "sent:queued")
        #expect(results.last == "sent:backpressured")
        #expect(!results.contains("sent:dropped"))
        // Once it reads, everything queued arrives, whole and in order.
        for _ in 0..<relayed {
            let frame = try #require(slow.readFrame())
            #expect(frame.opcode == Opcode.binary.rawValue && frame.payload.count == RecordingApplication.floodSize)
        }
        slow.send(text: "after")
        #expect(slow.readFrame()?.text == "after")
    }

    @Test func readingPausesWhileTheQueueIsPastTheSoftLimit() throws {
        let rig = try ServerRig { $0.sendSoftLimit = 64 * 1024 }
        defer { rig.stop() }
        let client = try #require(rig.open(receiveBuffer: 16 * 1024))
        // Ask for large answers without reading them, one request per read: once the
        // answers fill the kernel's buffer and the queue, a request is not served.
        var requested = 0
        while requested < 32 {
            client.send(text: "flood")
            requested += 1
            if !rig.log.waitFor(count: requested, of: { $0.hasPrefix("sent:") }, seconds: 0.5) { break }
        }
        #expect(rig.log.all.filter { $0.hasPrefix("sent:") }.count == requested - 1)
        // Reading drains the queue; the server reads again and serves the last request.
        for _ in 0..<requested {
            let frame = try #require(client.readFrame())
            #expect(frame.payload.count == RecordingApplication.floodSize)
        }
        #expect(rig.log.all.filter { $0.hasPrefix("sent:") } == Array(repeating: "sent:queued", count: requested))
    }

    @Test func peerPastTheHardLimitIsDropped() throws {
        let rig = try ServerRig {
            $0.sendSoftLimit = 64 * 1024
            $0.sendHardLimit = 3 * RecordingApplication.floodSize
        }
        defer { rig.stop() }
        let slow = try #require(rig.open(receiveBuffer: 16 * 1024))
        let sender = try #require(rig.open())
        let relayed = relay(from: sender, until: "sent:dropped", on: rig)
        #expect(rig.log.all.last == "sent:dropped")
        #expect(rig.log.waitFor("closed:none"))
        // The slow reader is reset: no close frame could have reached it in time.
        #expect(slow.readToEnd() == .reset)
    }

    /// The next frame is a close with `code`, and then the server ends the stream.
    private func expectClose(_ client: RawClient, code: UInt16, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let frame = try #require(client.readFrame(), sourceLocation: sourceLocation)
        #expect(frame.opcode == Opcode.close.rawValue, sourceLocation: sourceLocation)
        #expect(frame.closeCode == code, sourceLocation: sourceLocation)
        #expect(!frame.masked, sourceLocation: sourceLocation)
        #expect(client.readToEnd() == .endOfStream, sourceLocation: sourceLocation)
    }
}
