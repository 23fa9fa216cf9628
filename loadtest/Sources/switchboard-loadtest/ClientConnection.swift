import ByteBuffers
import ByteTransport
import EventLoop
import HTTP
import Posix
import TLS
import WebSocket
import WebSocketDeflate

/// How clients connect: TLS for wss:// URLs, whether to offer permessage-deflate, and
/// which WebSocket subprotocols to offer (none for the echo server; `switchboard.v1`
/// for the chat endpoints, whose answer must then name one of them).
struct ClientOptions {
    var tls: TLSContext?
    var deflate = false
    var subprotocols: [String] = []
    /// Scratch buffers shared by every client on the loop (one message at a time).
    let inflated = ByteBuffer()
    let deflated = ByteBuffer()

    init(url: WebSocketURL, deflate: Bool, subprotocols: [String] = []) throws {
        self.deflate = deflate
        self.subprotocols = subprotocols
        if url.secure { tls = try TLSContext.client(caPath: nil) }
    }
}

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
    private let options: ClientOptions
    /// The TCP stream, with TLS for wss:// URLs.
    private var transport: StreamTransport
    private var tls: TLSSession? { transport.tls }
    private var deflate: PerMessageDeflate?
    /// We sent a close frame and wait for the server's (`closeGracefully`).
    private var closeSent = false

    enum Phase { case connecting, handshaking, open, closed }
    private(set) var phase: Phase = .connecting
    private var handshakeKey = ""
    private var response: [UInt8] = []
    /// RFC 6455 in the client role: frames in, masked frames out, the closing handshake.
    private var socket: WebSocketConnection
    private let outbound = ByteBuffer()
    private var wantsWrite = true
    /// Send times of the messages in flight, oldest first (echoes come back in order).
    var inFlight: [UInt64] = []
    var inFlightHead = 0
    /// Scenario data (e.g. an index).
    var tag = 0

    init(url: WebSocketURL, options: ClientOptions, loop: EventLoop, delegate: any ClientDelegate, maxMessageSize: Int = 64 * 1024 * 1024) throws {
        self.url = url
        self.options = options
        self.loop = loop
        self.delegate = delegate
        socket = WebSocketConnection(role: .client, limits: WebSocketLimits(maxFrameSize: maxMessageSize, maxMessageSize: maxMessageSize),
                                     now: monotonicNanoseconds())
        let (fd, _) = try Socket.connect(host: url.host, port: url.port)
        self.fd = fd
        Socket.setNoDelay(fd)
        var tls: TLSSession?
        if let context = options.tls {
            tls = try TLSSession(context: context, fd: fd, isServer: false, serverName: url.host)
        }
        transport = StreamTransport(fd: fd, tls: tls)
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
            let request = Handshake.clientRequest(host: "\(url.host):\(url.port)", path: url.path,
                                                  subprotocols: options.subprotocols,
                                                  extensions: options.deflate ? DeflateNegotiation.clientOffer() : nil)
            handshakeKey = request.key
            outbound.append(request.bytes)
            phase = .handshaking
            if tls == nil { flush() } else { continueTLSHandshake() }
            return
        }
        if let tls, !tls.handshakeDone {
            continueTLSHandshake()
            return
        }
        if transport.tlsWantsWrite && flags.writable {
            transport.tlsWantsWrite = false
            readAvailable()
        }
        if flags.writable { flush() }
        if phase != .closed && flags.readable { readAvailable() }
    }

    func tick(now: UInt64) {}

    private func continueTLSHandshake() {
        guard let tls else { return }
        switch tls.handshake() {
        case .done:
            flush()
            readAvailable()
        case .wantRead:
            loop.setInterest(self, .read)
        case .wantWrite:
            loop.setInterest(self, [.read, .write])
        case .closed:
            fail("server closed during the TLS handshake")
        case .failed(let reason):
            fail("TLS handshake: \(reason)")
        }
    }

    /// Reads plaintext: straight from the socket, or TLS records until none is ready.
    private func readTransport(_ buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let result = transport.read(into: buffer)
        if transport.tlsWantsWrite { loop.setInterest(self, [.read, .write]) }
        switch result {
        case .bytes(let count): return count
        case .wouldBlock: return nil
        case .endOfStream: return 0
        case .failed(let reason):
            fail(reason)
            return nil
        }
    }

    private func readAvailable() {
        // With TLS read-ahead, OpenSSL may hold bytes that epoll will never report.
        repeat {
            readOnce()
        } while phase != .closed && transport.hasPendingData
    }

    private func readOnce() {
        let buffer = loop.readBuffer
        guard let count = readTransport(buffer), phase != .closed else { return }
        if count == 0 {
            if closeSent {
                release()
                delegate.clientClosed(self, error: nil)
                return
            }
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
            switch Handshake.parseServerResponse(response, key: handshakeKey) {
            case .failure(let error):
                fail("handshake: \(error.reason)")
                return
            case .success(let answer):
                if let chosen = answer.subprotocol, !options.subprotocols.contains(chosen) {
                    fail("server chose subprotocol \(chosen), which we did not offer")
                    return
                }
                if !options.subprotocols.isEmpty && answer.subprotocol == nil {
                    fail("server accepted none of the subprotocols we offered (\(options.subprotocols.joined(separator: ", ")))")
                    return
                }
                if options.deflate && !answer.extensions.isEmpty {
                    guard let parameters = DeflateNegotiation.clientAccept(answer.extensions) else {
                        fail("server answered with extensions we did not offer: \(answer.extensions)")
                        return
                    }
                    var configuration = DeflateConfiguration()
                    configuration.minimumSize = 0
                    configuration.serverMaxWindowBits = 15
                    deflate = PerMessageDeflate(parameters: parameters, isServer: false, configuration: configuration, shared: nil)
                    socket.reader.allowedReservedBits = 0x40
                }
                let leftover = response.count - answer.headLength
                input = UnsafeMutableRawBufferPointer(rebasing: buffer[(count - leftover)..<count])
                response = []
                phase = .open
                delegate.clientOpened(self, now: now)
            }
        }
        var consumed = 0
        while phase == .open, let event = socket.receive(input, consumed: &consumed, output: outbound) {
            switch event {
            case .message(let opcode, let payload, let compressed):
                if compressed, let deflate {
                    options.inflated.clear()
                    do {
                        try deflate.decompress(payload, into: options.inflated, limit: 64 << 20)
                    } catch {
                        fail("inflate: \(error)")
                        return
                    }
                    delegate.client(self, received: opcode, payload: UnsafeRawBufferPointer(options.inflated.readable), now: now)
                } else {
                    delegate.client(self, received: opcode, payload: payload, now: now)
                }
            case .pong:
                break  // pings are answered by `socket`, into `outbound`
            case .closed(let code, let reason):
                if closeSent {
                    release()
                    delegate.clientClosed(self, error: nil)
                    return
                }
                fail("server closed with \(code.map { String($0.rawValue) } ?? "no code") \(reason)")
            case .failed(let code, let reason):
                fail("protocol error \(code): \(reason)")
            }
        }
        flush()
    }

    /// Queues a masked frame; it goes out at the next `flush`. Nothing after our close.
    @inline(__always)
    func send(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) {
        if let deflate, !opcode.isControl, deflate.shouldCompress(payload.count) {
            options.deflated.clear()
            do {
                try deflate.compress(payload, into: options.deflated)
            } catch {
                fail("deflate: \(error)")
                return
            }
            socket.send(opcode, UnsafeRawBufferPointer(options.deflated.readable), reservedBits: 0x40, output: outbound)
        } else {
            socket.send(opcode, payload, output: outbound)
        }
    }

    func flush() {
        guard phase != .closed else { return }
        if let tls, !tls.handshakeDone { return }
        if !outbound.isEmpty {
            switch transport.write(UnsafeRawBufferPointer(outbound.readable)) {
            case .wrote(let count): outbound.moveReaderIndex(by: count)
            case .failed(let reason): fail(reason); return
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
            socket.close(code: .normal, now: monotonicNanoseconds(), output: outbound)
            flush()
        }
        release()
    }

    /// Starts the closing handshake (RFC 6455 §7.1.2): sends a close frame (1000) and
    /// keeps reading until the server's close frame or end of stream, then releases the
    /// connection and tells the delegate, with no error. A connection that is not open
    /// yet is released at once (the delegate is told too).
    func closeGracefully() {
        switch phase {
        case .closed:
            return
        case .open:
            guard !closeSent else { return }
            closeSent = true
            socket.close(code: .normal, now: monotonicNanoseconds(), output: outbound)
            flush()
        case .connecting, .handshaking:
            release()
            delegate.clientClosed(self, error: nil)
        }
    }

    private func fail(_ error: String) {
        guard phase != .closed else { return }
        release()
        delegate.clientClosed(self, error: error)
    }

    private func release() {
        phase = .closed
        loop.deregister(self)
        transport.close()
    }
}
