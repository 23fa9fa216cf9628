import ByteBuffers
import EventLoop
import HTTP
import Posix
import WebSocket

/// What a load-test scenario does with its client connections. Called on the loop thread.
protocol ClientDelegate: AnyObject {
    func clientOpened(_ client: ClientConnection, now: UInt64)
    func client(_ client: ClientConnection, received opcode: Opcode, payload: UnsafeRawBufferPointer, now: UInt64)
    func clientClosed(_ client: ClientConnection, error: String?)
}

/// One WebSocket client connection on the load generator's event loop: nonblocking
/// connect, the opening handshake (RFC 6455 §4.1), then masked frames out and the
/// client-role frame reader in. Owned by the loop thread.
final class ClientConnection: Selectable {
    let fd: Int32
    unowned let loop: EventLoop
    unowned let delegate: any ClientDelegate
    private let url: WebSocketURL

    enum Phase { case connecting, handshaking, open, closed }
    private(set) var phase: Phase = .connecting
    private var handshakeKey = ""
    private var response: [UInt8] = []
    private var reader: FrameReader
    private let outbound = ByteBuffer()
    private var wantsWrite = true
    /// Masking keys from a per-connection xorshift generator seeded from the system:
    /// unpredictable enough for a load generator, without a getrandom(2) per frame.
    private var maskState: UInt64
    /// Send times of the messages in flight, oldest first (echoes come back in order).
    var inFlight: [UInt64] = []
    var inFlightHead = 0
    /// Scenario data (e.g. an index).
    var tag = 0

    init(url: WebSocketURL, loop: EventLoop, delegate: any ClientDelegate, maxMessageSize: Int = 64 * 1024 * 1024) throws {
        self.url = url
        self.loop = loop
        self.delegate = delegate
        reader = FrameReader(role: .client, limits: WebSocketLimits(maxFrameSize: maxMessageSize, maxMessageSize: maxMessageSize))
        var generator = SystemRandomNumberGenerator()
        maskState = generator.next() | 1
        let (fd, _) = try Socket.connect(host: url.host, port: url.port)
        self.fd = fd
        Socket.setNoDelay(fd)
        try loop.register(self, interest: [.read, .write])
    }

    func handleEvent(_ flags: EpollFlags) {
        if phase == .connecting {
            guard flags.writable || flags.failed else { return }
            let error = Socket.pendingError(fd)
            if error != 0 {
                fail("connect: \(PosixError(errno: error, function: "connect"))")
                return
            }
            let request = Handshake.clientRequest(host: "\(url.host):\(url.port)", path: url.path)
            handshakeKey = request.key
            outbound.append(request.bytes)
            phase = .handshaking
            flush()
            return
        }
        if flags.writable { flush() }
        if phase != .closed && flags.readable { readAvailable() }
    }

    func tick(now: UInt64) {}

    private func readAvailable() {
        let buffer = loop.readBuffer
        let count: Int
        do {
            switch try Socket.read(fd, into: buffer) {
            case .wouldBlock: return
            case .processed(let n): count = n
            }
        } catch {
            fail("read: \(error)")
            return
        }
        if count == 0 {
            fail(phase == .open ? "server closed the connection" : "server closed during the handshake")
            return
        }
        let now = monotonicNanoseconds()
        var input = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        if phase == .handshaking {
            response.append(contentsOf: input)
            guard Handshake.findHeadEnd(response) != nil else {
                if response.count > 16 * 1024 { fail("handshake response too large") }
                return
            }
            switch Handshake.verifyServerResponse(response, key: handshakeKey) {
            case .failure(let error):
                fail("handshake: \(error.reason)")
                return
            case .success(let headLength):
                let leftover = response.count - headLength
                input = UnsafeMutableRawBufferPointer(rebasing: buffer[(count - leftover)..<count])
                response = []
                phase = .open
                delegate.clientOpened(self, now: now)
            }
        }
        var consumed = 0
        while phase == .open, let event = reader.next(input, consumed: &consumed) {
            switch event {
            case .message(let opcode, let payload, _):
                delegate.client(self, received: opcode, payload: payload, now: now)
            case .ping(let payload):
                send(.pong, payload)
            case .pong:
                break
            case .close(let code, let reason):
                fail("server closed with \(code.map { String($0.rawValue) } ?? "no code") \(reason)")
            case .failure(let code, let reason):
                fail("protocol error \(code): \(reason)")
            }
        }
        flush()
    }

    /// Queues a masked frame; it goes out at the next `flush`.
    @inline(__always)
    func send(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) {
        maskState ^= maskState << 13
        maskState ^= maskState >> 7
        maskState ^= maskState << 17
        FrameWriter.append(to: outbound, opcode: opcode, payload: payload, maskingKey: MaskingKey(packed: UInt32(truncatingIfNeeded: maskState)))
    }

    func flush() {
        guard phase != .closed else { return }
        if !outbound.isEmpty {
            do {
                if case .processed(let n) = try Socket.send(fd, UnsafeRawBufferPointer(outbound.readable)) {
                    outbound.moveReaderIndex(by: n)
                }
            } catch {
                fail("send: \(error)")
                return
            }
        }
        let want = !outbound.isEmpty
        if want != wantsWrite {
            wantsWrite = want
            loop.setInterest(self, want ? [.read, .write] : .read)
        }
    }

    /// Sends a close frame (1000) and releases the connection.
    func close() {
        guard phase != .closed else { return }
        if phase == .open {
            FrameWriter.closePayload(code: .normal, reason: "").withUnsafeBytes { send(.close, $0) }
            flush()
        }
        release()
    }

    private func fail(_ error: String) {
        guard phase != .closed else { return }
        release()
        delegate.clientClosed(self, error: error)
    }

    private func release() {
        phase = .closed
        loop.deregister(self)
        Socket.close(fd)
    }
}
