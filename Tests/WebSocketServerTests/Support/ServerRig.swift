#if canImport(Glibc)
import Glibc
#endif
import ByteTransport
import HTTP
import Synchronization
import WebSocket
import WebSocketServer

/// What the application saw, in order, written on the loop's thread and read by the
/// test's thread.
final class EventLog: Sendable {
    private let entries = Mutex<[String]>([])

    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }

    /// Waits (bounded) until an entry equal to `entry` is logged.
    func waitFor(_ entry: String, seconds: Double = 3) -> Bool {
        waitFor(count: 1, of: { $0 == entry }, seconds: seconds)
    }

    /// Waits (bounded) until `count` entries match.
    func waitFor(count: Int, of matches: (String) -> Bool, seconds: Double = 3) -> Bool {
        let deadline = Double(monotonicMilliseconds()) + seconds * 1000
        while Double(monotonicMilliseconds()) < deadline {
            if all.filter(matches).count >= count { return true }
            usleep(10_000)
        }
        return all.filter(matches).count >= count
    }
}

func monotonicMilliseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1000 + UInt64(time.tv_nsec) / 1_000_000
}

/// An echo application that logs what reaches it, and obeys a few commands:
/// `close-me` (the server starts the closing handshake), `flood` (one large binary
/// message back) and `relay` (one to the first connection that opened), each logging
/// what `send` answered.
final class RecordingApplication: WebSocketApplication {
    static let floodSize = 1024 * 1024
    private static let floodPayload = [UInt8](repeating: 0x5A, count: floodSize)
    let log: EventLog
    private var connections: [ServerConnection<RecordingApplication>] = []

    init(log: EventLog) { self.log = log }

    func route(_ request: HTTPRequest, connection: ServerConnection<RecordingApplication>) -> Route {
        .upgrade(Handshake.Policy())
    }

    func opened(_ connection: ServerConnection<RecordingApplication>) {
        connections.append(connection)
        log.append("opened")
    }

    func received(_ connection: ServerConnection<RecordingApplication>, opcode: Opcode, payload: UnsafeRawBufferPointer) {
        guard opcode == .text else {
            log.append("binary:\(payload.count)")
            connection.send(opcode, payload)
            return
        }
        let text = String(decoding: payload, as: UTF8.self)
        log.append("text:\(text)")
        switch text {
        case "close-me":
            connection.close(code: .normal, reason: "bye")
        case "flood":
            let result = Self.floodPayload.withUnsafeBytes { connection.send(.binary, $0) }
            log.append("sent:\(result)")
        case "relay":
            let result = Self.floodPayload.withUnsafeBytes { connections[0].send(.binary, $0) }
            log.append("sent:\(result)")
        default:
            connection.send(opcode, payload)
        }
    }

    func closed(_ connection: ServerConnection<RecordingApplication>, code: CloseCode?) {
        log.append("closed:\(code.map { String($0.rawValue) } ?? "none")")
    }
}

/// A one-loop server on a free loopback port, with the recording application.
final class ServerRig {
    let log = EventLog()
    let server: WebSocketServer<RecordingApplication>

    init(_ configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.threads = 1
        configuration.shutdownGrace = 0.5
        configure(&configuration)
        let log = self.log
        server = WebSocketServer(configuration: configuration) { _ in RecordingApplication(log: log) }
        try server.start()
    }

    func stop() { server.shutdown() }

    /// A connected client that has not sent anything yet.
    func connect(receiveBuffer: Int32? = nil) -> RawClient {
        RawClient(port: server.port, receiveBuffer: receiveBuffer)
    }

    /// A client whose upgrade the server accepted (nil if it did not).
    func open(extensions: String? = nil, receiveBuffer: Int32? = nil) -> RawClient? {
        let opened = log.all.filter { $0 == "opened" }.count
        let client = connect(receiveBuffer: receiveBuffer)
        client.write(Array(RawClient.upgradeRequest(extensions: extensions).utf8))
        guard let head = client.readHead(), head.hasPrefix("HTTP/1.1 101") else { return nil }
        guard log.waitFor(count: opened + 1, of: { $0 == "opened" }) else { return nil }
        return client
    }
}

/// One frame as the test client read it.
struct ReceivedFrame: Equatable {
    var fin: Bool
    var reservedBits: UInt8
    var opcode: UInt8
    var masked: Bool
    var payload: [UInt8]

    /// The status code of a close frame (§5.5.1).
    var closeCode: UInt16? {
        payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
    }
    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// A blocking loopback client speaking raw bytes, with a receive timeout so that no
/// test can hang: a read that times out reports `.timeout`.
final class RawClient {
    enum End: Equatable { case endOfStream, reset, timeout }

    let fd: Int32
    private var buffer: [UInt8] = []

    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    /// RFC 6455 §1.3's example answer for `key`.
    static let expectedAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    static func upgradeRequest(extensions: String? = nil) -> String {
        var request = "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        if let extensions { request += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
        return request + "\r\n"
    }

    init(port: UInt16, receiveBuffer: Int32?, timeoutSeconds: Int = 3) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket failed")
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(rc == 0, "connect failed")
    }

    deinit { close(fd) }

    /// Writes all of `bytes`; false when the connection is gone (EPIPE, ECONNRESET).
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 { return false }
            offset += n
        }
        return true
    }

    /// A masked client frame (§5.3), as every client must send.
    func send(_ opcode: Opcode, _ payload: [UInt8], fin: Bool = true, reservedBits: UInt8 = 0) {
        write(FrameWriter.frame(opcode: opcode, payload: payload, fin: fin, reservedBits: reservedBits, mask: true))
    }

    func send(text: String) { send(.text, Array(text.utf8)) }

    /// One recv into the buffer; the end of the stream, a reset or the timeout otherwise.
    private func fill() -> End? {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer += chunk[0..<n]
            return nil
        }
        if n == 0 { return .endOfStream }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .timeout : .reset
    }

    /// The response head, through the blank line (the rest stays buffered).
    func readHead() -> String? {
        while true {
            if let end = buffer.firstRange(of: [13, 10, 13, 10]) {
                let head = String(decoding: buffer[..<end.upperBound], as: UTF8.self)
                buffer.removeSubrange(..<end.upperBound)
                return head
            }
            if fill() != nil { return nil }
        }
    }

    /// The next whole frame, or nil when the stream ended (or timed out) first.
    func readFrame() -> ReceivedFrame? {
        while true {
            if let frame = takeFrame() { return frame }
            if fill() != nil { return nil }
        }
    }

    private func takeFrame() -> ReceivedFrame? {
        guard buffer.count >= 2 else { return nil }
        let masked = buffer[1] & 0x80 != 0
        var length = Int(buffer[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard buffer.count >= 4 else { return nil }
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            offset = 4
        } else if length == 127 {
            guard buffer.count >= 10 else { return nil }
            length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        if masked { offset += 4 }
        guard buffer.count >= offset + length else { return nil }
        var payload = Array(buffer[offset..<offset + length])
        if masked {
            let key = Array(buffer[offset - 4..<offset])
            for index in payload.indices { payload[index] ^= key[index % 4] }
        }
        let frame = ReceivedFrame(fin: buffer[0] & 0x80 != 0, reservedBits: buffer[0] & 0x70, opcode: buffer[0] & 0x0F,
                                  masked: masked, payload: payload)
        buffer.removeSubrange(..<(offset + length))
        return frame
    }

    /// Reads and discards until the stream ends; how it ended.
    func readToEnd() -> End {
        buffer.removeAll()
        while true {
            if let end = fill() { return end }
            buffer.removeAll()
        }
    }
}
