import ByteBuffers
import ByteTransport
import EventLoop
import HTTP
import Posix
import WebSocket
import WebSocketDeflate
import TLS

/// One accepted TCP connection: an HTTP/1.1 request or upgrade, then a WebSocket.
///
/// Owned by one event loop and touched only on its thread. It keeps no buffers of its
/// own while idle: reads land in the loop's shared buffer, replies are corked in the
/// loop's shared write buffer, and only bytes the kernel would not take yet are copied
/// into its `OutboundQueue`. The decisions live in sans-I/O parts: the HTTP phase in
/// `HTTPExchange`, the upgrade in `WebSocketUpgrade`, the WebSocket's protocol state
/// (close handshake, ping/pong, close codes, idle and pong timers) in a
/// `WebSocketConnection`, backpressure in the `OutboundQueue`. This class does the
/// I/O, routing, permessage-deflate, the cork, and the TCP end (FIN, RST, timeouts).
public final class ServerConnection<App: WebSocketApplication>: Selectable, Flushable {
    public let fd: Int32
    public let peer: SocketAddress
    unowned let loop: EventLoop
    unowned let context: LoopContext<App>
    /// The loop's cork (a constant of the loop), held here so that every send and read
    /// reaches it without going through the unowned `loop` reference.
    private let cork: ByteBuffer

    enum Phase {
        case http
        case webSocket
        /// Our last bytes are queued or sent; waiting for the peer to close its side.
        case closing
        case closed
    }
    private(set) var phase: Phase = .http
    /// The HTTP phase's requests, keep-alive, deferred answer and request deadline.
    private var http: HTTPExchange?
    /// The WebSocket's state machine (server role), set up by the upgrade; before it, a
    /// placeholder never fed. Not an optional: the hot path reaches it without unwrapping.
    private var socket: WebSocketConnection
    /// permessage-deflate, when the client offered it and we accepted.
    private var deflate: PerMessageDeflate?
    /// The TCP stream, with TLS when the server has a certificate.
    private var transport: StreamTransport
    private var tls: TLSSession? { transport.tls }
    /// What the kernel has not taken yet, and the backpressure it means.
    private let queue: OutboundQueue
    private var corking = false
    private var flushScheduled = false
    /// After the queued bytes are sent: shut our side and wait for the peer's FIN.
    private var closeAfterFlush = false
    private var writeShut = false
    /// While closing: by when the peer must have closed its side.
    private var closeDeadline: UInt64 = 0
    /// The subprotocol agreed in the handshake, if any.
    public private(set) var subprotocol: String?
    /// Set at accept when the peer's address already has its share of connections.
    var overAddressLimit = false
    /// Whatever the application keeps per connection (e.g. the session it belongs to).
    public var userData: AnyObject?

    init(fd: Int32, peer: SocketAddress, loop: EventLoop, context: LoopContext<App>, tls: TLSSession?) {
        self.fd = fd
        self.transport = StreamTransport(fd: fd, tls: tls)
        self.peer = peer
        self.loop = loop
        self.context = context
        self.cork = loop.cork
        let now = loop.now
        http = HTTPExchange(limits: context.configuration.http, timeout: context.configuration.handshakeTimeout.nanoseconds, now: now)
        queue = OutboundQueue(limits: OutboundQueue.Limits(soft: context.configuration.sendSoftLimit,
                                                           hard: context.configuration.effectiveSendHardLimit))
        socket = WebSocketConnection(role: .server, now: now)
    }

    public var isOpen: Bool { phase == .webSocket && socket.isOpen }
    /// Bytes queued for this connection that the kernel has not taken yet.
    public var unsentBytes: Int { queue.count }

    // MARK: Events from the loop

    public func handleEvent(_ flags: EpollFlags) {
        if let tls, !tls.handshakeDone {
            continueHandshake(tls)
            return
        }
        if flags.writable {
            if transport.tlsWantsWrite {
                transport.tlsWantsWrite = false
                if !queue.readingPaused || phase == .closing { readAvailable() }
            }
            flush()
        }
        if phase == .closed { return }
        if flags.readable && (!queue.readingPaused || phase == .closing) { readAvailable() }
        else if flags.failed && !flags.readable { teardown(reason: "socket error") }
    }

    /// Drives the TLS handshake; once done, reads whatever followed it.
    private func continueHandshake(_ tls: TLSSession) {
        switch tls.handshake() {
        case .done:
            transport.tlsWantsWrite = false
            updateInterest(write: !queue.isEmpty)
            readAvailable()
        case .wantRead:
            transport.tlsWantsWrite = false
            updateInterest(write: false)
        case .wantWrite:
            transport.tlsWantsWrite = true
            updateInterest(write: false)
        case .closed:
            teardown(reason: "closed during the TLS handshake")
        case .failed(let reason):
            Log.debug("\(peer): TLS handshake failed: \(reason)")
            teardown(reason: nil)
        }
    }

    /// One read from the socket, or as many TLS records as fit the loop's buffer.
    /// Returns the byte count (0: the peer closed), or nil when nothing is ready.
    private func readTransport(_ buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let result = transport.read(into: buffer)
        if transport.tlsWantsWrite { updateInterest(write: true) }
        switch result {
        case .bytes(let count): return count
        case .wouldBlock: return nil
        case .endOfStream: return 0
        case .failed(let reason):
            teardown(reason: reason)
            return nil
        }
    }

    /// Sends bytes over TCP or TLS; nil after a fatal error (the connection is gone).
    @inline(__always)
    private func writeTransport(_ bytes: UnsafeRawBufferPointer) -> Int? {
        switch transport.write(bytes) {
        case .wrote(let count): return count
        case .failed(let reason):
            teardown(reason: reason)
            return nil
        }
    }

    private func readAvailable() {
        // A full read buffer can end inside a TLS record; the rest of it is then
        // decrypted inside OpenSSL, where epoll cannot see it. Read on while it is.
        repeat {
            readOnce()
        } while phase != .closed && (!queue.readingPaused || phase == .closing) && transport.hasPendingData
    }

    private func readOnce() {
        let buffer = loop.readBuffer
        guard let count = readTransport(buffer), phase != .closed else { return }
        if count == 0 {
            teardown(reason: phase == .closing ? nil : "peer closed the connection")
            return
        }
        let input = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        corking = true
        switch phase {
        case .http: processHTTP(UnsafeRawBufferPointer(input))
        case .webSocket: processFrames(input, now: loop.now)
        case .closing, .closed: break  // discarding until the peer's FIN
        }
        corking = false
        uncork()
    }

    public func tick(now: UInt64) {
        let configuration = context.configuration
        switch phase {
        case .http:
            guard http?.hasExpired(now: now) == true else { break }
            if let tls, !tls.handshakeDone {
                Log.debug("\(peer): TLS handshake not finished within \(configuration.handshakeTimeout) s")
                teardown(reason: nil, abort: true)
                return
            }
            Log.debug("\(peer): request not finished within \(configuration.handshakeTimeout) s")
            respond(.text(.requestTimeout, "request not finished in time\n"), close: true)
        case .webSocket:
            // An idle ping goes into the cork (or behind queued bytes) and out at once;
            // a quiet tick touches no buffer.
            guard socket.hasTimerDue(now: now) else { break }
            let queued = queue.count
            corking = true
            let verdict = socket.tick(now: now, output: writeTarget())
            corking = false
            if !cork.isEmpty { uncork() } else if queue.count != queued { afterWrite() }
            if case .expired(let reason) = verdict {
                teardown(reason: reason, abort: true)
                return
            }
            if phase == .closed { return }
        case .closing:
            if now > closeDeadline {
                teardown(reason: nil, abort: true)
                return
            }
        case .closed:
            return
        }
        if queue.hasStalled(now: now, timeout: configuration.sendTimeout.nanoseconds) {
            Log.info("\(peer): closing (1008): \(queue.count) bytes unsent for \(configuration.sendTimeout) s; the peer is not reading")
            teardown(reason: nil, abort: true)
        }
    }

    // MARK: HTTP

    private func processHTTP(_ input: UnsafeRawBufferPointer) {
        var step = http!.receive(input)
        while true {
            switch step {
            case .needMore:
                return
            case .malformed(let error):
                Log.debug("\(peer): \(error)")
                respond(.text(error.status, error.reason + "\n"), close: true)
                return
            case .request(let request):
                switch context.route(request, connection: self) {
                case .respond(var response):
                    // HEAD gets the GET's head, Content-Length included, and no body
                    // (RFC 9110 §9.3.2), whichever route answered it.
                    if request.method == "HEAD" { response.omitsBody = true }
                    let keepAlive = request.keepAlive
                    respond(response, close: !keepAlive)
                    guard keepAlive, phase == .http else { return }
                    step = http!.answered(now: loop.now)
                case .upgrade(let policy):
                    upgrade(request, policy: policy)
                    return
                case .deferred:
                    http!.deferAnswer()
                    return
                }
            }
        }
    }

    private func upgrade(_ request: HTTPRequest, policy: Handshake.Policy) {
        let context = self.context
        switch WebSocketUpgrade.accept(request, policy: policy, configuration: context.configuration,
                                       sharedDeflate: { context.sharedDeflate }, now: loop.now) {
        case .refused(let response):
            respond(response, close: true)
        case .accepted(let upgrade):
            socket = upgrade.socket
            deflate = upgrade.deflate
            subprotocol = upgrade.subprotocol
            write(upgrade.response.serialized())
            var leftover = http!.takeBuffered()
            http = nil
            phase = .webSocket
            context.application.opened(self)
            if !leftover.isEmpty, phase == .webSocket {
                leftover.withUnsafeMutableBytes { processFrames($0, now: loop.now) }
            }
        }
    }

    /// Answers the request that `route` deferred, then closes (on the loop's thread).
    /// Ignored if there is none, or if the request already timed out.
    public func respondLater(_ response: HTTPResponse) {
        guard phase == .http, http?.takeDeferredAnswer() == true else { return }
        respond(response, close: true)
    }

    /// Sends an HTTP response; with `close`, then closes the connection gracefully.
    private func respond(_ response: HTTPResponse, close: Bool) {
        write(response.serialized(close: close))
        if close { beginClosing() }
    }

    // MARK: WebSocket

    /// Runs under the cork (inside `readOnce`): the frames the machine owes (pongs, a
    /// close answer or our failing close) go out with the read's other replies. While
    /// corking, the write target stays the same (the queue is not sent, so it cannot
    /// empty), so it is looked up once per read, not once per frame. Bytes arrived at
    /// `now`: the peer is alive, and an idle ping counts as answered.
    private func processFrames(_ input: UnsafeMutableRawBufferPointer, now: UInt64) {
        var consumed = 0
        let output = writeTarget()
        while phase == .webSocket, let event = socket.receive(input, consumed: &consumed, now: now, output: output) {
            switch event {
            case .message(let opcode, let payload, let compressed):
                if compressed {
                    deliverCompressed(opcode, payload)
                } else {
                    context.application.received(self, opcode: opcode, payload: payload)
                }
            case .pong:
                break  // the machine's pong timer is reset
            case .closed(let code, _):
                // §5.5.1: our answer echoing the code is in the output; the server
                // closes the TCP connection first (§7.1.1).
                finishWebSocket(code: code)
            case .failed(let code, let reason):
                Log.debug("\(peer): failing the connection with \(code): \(reason)")
                finishWebSocket(code: code)
            }
        }
    }

    /// Inflates a compressed message (RFC 7692 §7.2.2), checks text for UTF-8 after
    /// inflating (§8.1 applies to the inflated data), and delivers it.
    private func deliverCompressed(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) {
        guard let deflate else { return }
        let output = context.inflated
        output.clear(keepingCapacity: 1024 * 1024)
        do {
            try deflate.decompress(payload, into: output, limit: context.configuration.webSocket.maxMessageSize)
        } catch {
            switch error {
            case .tooBig(let limit): fail(.messageTooBig, reason: "inflated message larger than \(limit) bytes")
            case .corrupt: fail(.invalidPayload, reason: "corrupt deflate data")
            case .unavailable: fail(.internalError, reason: "inflater unavailable")
            }
            return
        }
        let message = UnsafeRawBufferPointer(output.readable)
        if opcode == .text && !UTF8Validator.isValid(message) {
            fail(.invalidPayload, reason: "invalid UTF-8 in text message")
            return
        }
        context.application.received(self, opcode: opcode, payload: message)
    }

    /// Starts the closing handshake (§7.1.2) with `code`. Frames the peer sends after
    /// this are ignored; the connection ends when the peer closes or after `closeTimeout`.
    public func close(code: CloseCode, reason: String = "") {
        guard phase == .webSocket else { return }
        socket.close(code: code, reason: reason, now: loop.now, output: writeTarget())
        afterWrite()
        finishWebSocket(code: code)
    }

    /// Fails the connection (§7.1.7) through the machine, the one road to a close code:
    /// our close frame (1011 without `reason`, which stays in our log), then closing.
    private func fail(_ code: CloseCode, reason: String) {
        guard phase == .webSocket else { return }
        Log.debug("\(peer): failing the connection with \(code): \(reason)")
        socket.fail(code, reason: reason, output: writeTarget())
        afterWrite()
        finishWebSocket(code: code)
    }

    private func finishWebSocket(code: CloseCode?) {
        beginClosing()
        context.application.closed(self, code: code)
    }

    /// Sends one message (text or binary) or control frame. Frames are gathered and
    /// written once per loop iteration, so the answer is `queued`, `backpressured`
    /// (past the soft limit: reading is paused) or `dropped` (not open, or this send
    /// broke the hard limit and the connection was dropped).
    @inline(__always)
    @discardableResult
    public func send(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) -> SendResult {
        // The phase is .webSocket exactly while the machine is open (its close, its
        // failure and the peer's close each end the phase at once), and a server's
        // frames are unmasked and change no state of the machine: they are written
        // straight into the buffer, without a mutating access to the machine per message.
        guard phase == .webSocket else { return .dropped }
        if let deflate, !opcode.isControl, deflate.shouldCompress(payload.count) {
            sendCompressed(opcode, payload, deflate)
        } else {
            FrameWriter.append(to: writeTarget(), opcode: opcode, payload: payload)
            afterWrite()
        }
        // Still open unless compressing failed or the hard limit dropped the connection.
        if phase != .webSocket { return .dropped }
        return queue.sendResult
    }

    private func sendCompressed(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer, _ deflate: PerMessageDeflate) {
        let output = context.deflated
        output.clear(keepingCapacity: 1024 * 1024)
        do {
            try deflate.compress(payload, into: output)
        } catch {
            Log.error("\(peer): compression failed: \(error)")
            fail(.internalError, reason: "compression failed")
            return
        }
        // RSV1 marks the message compressed (RFC 7692 §6).
        FrameWriter.append(to: writeTarget(), opcode: opcode, payload: UnsafeRawBufferPointer(output.readable), reservedBits: 0x40)
        afterWrite()
    }

    @discardableResult
    public func send(text: String) -> SendResult {
        var text = text
        return text.withUTF8 { send(.text, UnsafeRawBufferPointer($0)) }
    }

    // MARK: Writing

    /// Where new bytes go: the loop's cork while this connection is being served and
    /// nothing of its own is waiting; otherwise its own queue, to keep bytes in order.
    @inline(__always)
    private func writeTarget() -> ByteBuffer {
        if corking, queue.isEmpty { return cork }
        return queue.appendTarget(now: loop.now)
    }

    private func write(_ bytes: [UInt8]) {
        writeTarget().append(bytes)
        afterWrite()
    }

    @inline(__always)
    private func afterWrite() {
        guard !corking, !queue.isEmpty else { return }
        recount()
        if droppedOverHardLimit() { return }
        if !flushScheduled {
            flushScheduled = true
            loop.scheduleFlush(self)
        }
    }

    /// Sends what the cork gathered for this connection; keeps what the kernel refused.
    private func uncork() {
        defer { cork.clear(keepingCapacity: 1024 * 1024) }
        guard phase != .closed else { return }
        if !cork.isEmpty {
            guard let sent = writeTransport(UnsafeRawBufferPointer(cork.readable)) else { return }
            if sent > 0 { queue.noteProgress(now: loop.now) }
            if sent < cork.count { queue.keep(UnsafeRawBufferPointer(rebasing: cork.readable[sent...]), now: loop.now) }
        }
        afterFlushAttempt()
        droppedOverHardLimit()
    }

    /// Drops the connection (RST, logged as 1008) when its queue is past the hard limit.
    @discardableResult
    private func droppedOverHardLimit() -> Bool {
        guard queue.isOverHardLimit else { return false }
        Log.info("\(peer): closing (1008): \(queue.count) unsent bytes exceed the send limit")
        teardown(reason: nil, abort: true)
        return true
    }

    /// Writes queued bytes (the loop calls this at the end of an iteration and on EPOLLOUT).
    public func flush() {
        flushScheduled = false
        guard phase != .closed else { return }
        if let buffer = queue.buffer, !buffer.isEmpty {
            guard let sent = writeTransport(UnsafeRawBufferPointer(buffer.readable)) else { return }
            queue.consume(sent, now: loop.now)
        }
        afterFlushAttempt()
    }

    /// Backpressure and closing decisions after bytes went out (or did not).
    private func afterFlushAttempt() {
        recount()
        let wasPaused = queue.readingPaused
        queue.updateBackpressure()
        // Bytes OpenSSL already decrypted wake no epoll: when reading resumes, read
        // them on the next loop turn (not from inside this flush).
        if wasPaused && !queue.readingPaused && transport.hasPendingData {
            let connection = LoopBound(self)
            loop.execute { connection.value.resumeReading() }
        }
        if queue.isEmpty && closeAfterFlush && !writeShut {
            writeShut = true
            transport.shutdownWrite()  // close_notify, then the FIN
        }
        updateInterest(write: !queue.isEmpty)
    }

    /// Brings the server's count of unsent bytes up to date with this queue's size.
    private func recount() {
        let change = queue.takeCountChange()
        guard change != 0, let total = context.queuedOutput else { return }
        if total.add(change) && !queue.isEmpty { context.outputOverLimit() }
    }

    private func resumeReading() {
        guard phase != .closed else { return }
        readAvailable()
    }

    private var registeredInterest: Epoll.Interest = .read

    private func updateInterest(write: Bool) {
        var interest: Epoll.Interest = []
        if !queue.readingPaused || phase == .closing { interest.insert(.read) }
        if write || transport.tlsWantsWrite { interest.insert(.write) }
        if interest != registeredInterest {
            registeredInterest = interest
            loop.setInterest(self, interest)
        }
    }

    // MARK: Closing

    /// Stops reading requests or frames; once the queued bytes are out, shuts our
    /// side, then waits (bounded by `closeTimeout`) for the peer's FIN. Closing only
    /// after the peer has read everything avoids a RST that would discard our last
    /// bytes (the close frame, or an error response) before the peer reads them.
    private func beginClosing() {
        guard phase != .closing, phase != .closed else { return }
        phase = .closing
        http = nil
        closeAfterFlush = true
        releaseSocket()
        closeDeadline = loop.now &+ context.configuration.closeTimeout.nanoseconds
        if !corking { afterFlushAttempt() }
    }

    /// Drops the machine's buffers (a message being assembled) once frames are no
    /// longer read; a closed machine takes their place.
    private func releaseSocket() {
        socket = WebSocketConnection(role: .server, now: 0)
        socket.transportClosed()
    }

    /// Releases the connection now. `abort` sends RST (for peers we give up on).
    func teardown(reason: String?, abort: Bool = false) {
        guard phase != .closed else { return }
        let wasOpen = phase == .webSocket
        phase = .closed
        if let reason { Log.debug("\(peer): \(reason)") }
        loop.deregister(self)
        transport.close(abort: abort)
        queue.discard()
        recount()
        http = nil
        releaseSocket()
        context.connectionClosed(self)
        if wasOpen { context.application.closed(self, code: nil) }
    }

    /// Graceful shutdown: a WebSocket gets 1001 (§7.4.1); an HTTP connection is closed.
    func goAway() {
        switch phase {
        case .webSocket: close(code: .goingAway, reason: "server shutting down")
        case .http: if http?.isIdle ?? true { teardown(reason: nil) } else { respond(.text(.serviceUnavailable, "server shutting down\n"), close: true) }
        case .closing, .closed: break
        }
        flush()
    }
}
