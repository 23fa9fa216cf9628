import ByteBuffers

/// The state of one open WebSocket (RFC 6455 §5–§7) with no I/O: bytes and clock
/// readings in, events out, and the frames it must send (pongs, close answers, idle
/// pings) appended to the output buffer the caller hands in, ready for the wire.
///
/// The model is python-websockets' sans-I/O `Protocol`: one road to a close code
/// (`fail`: 1002 protocol error, 1007 bad UTF-8, 1009 too big, 1011 internal), the
/// closing handshake in both directions (§7.1.2–§7.1.4), ping/pong and timeouts as
/// inputs. The role decides the masking rule (§5.1, §5.3): a client masks every frame
/// with a fresh key; a server never masks and refuses unmasked client frames.
///
/// A value owned by one connection on one loop thread. It allocates nothing per
/// message: frames are written straight into the caller's buffer.
public struct WebSocketConnection {
    /// Where the closing handshake stands (§7.1).
    public enum State: Sendable, Equatable {
        /// Messages flow both ways.
        case open
        /// We sent our close frame; the peer's answer (or the end of the stream) is due.
        case closing
        /// Both close frames have been seen, or the connection failed: send nothing more.
        case closed
    }

    /// What the bytes meant, for the code above.
    public enum Event {
        /// A whole text or binary message. `compressed` as in `WebSocketEvent`: the
        /// caller inflates (and then validates text) itself.
        case message(Opcode, UnsafeRawBufferPointer, compressed: Bool)
        /// The peer's pong (our idle ping is answered; the machine already noted it).
        case pong(UnsafeRawBufferPointer)
        /// The peer's close frame arrived: if it started the closing handshake our
        /// answer (echoing its code, §5.5.1) is in the output; either way the handshake
        /// is complete and the TCP connection may go (a server closes first, §7.1.1).
        case closed(CloseCode?, reason: String)
        /// The peer broke the protocol: our close frame with `code` is in the output
        /// (§7.1.7) and nothing more is read.
        case failed(CloseCode, reason: String)
    }

    /// Timers, in monotonic nanoseconds; 0 turns one off.
    public struct Timeouts: Sendable {
        /// Quiet this long (nothing read), the connection sends a ping.
        public var idlePing: UInt64
        /// A ping unanswered this long: the peer is gone.
        public var pong: UInt64
        /// After our close frame, how long the peer has to answer with its own.
        public var close: UInt64

        public init(idlePing: UInt64 = 0, pong: UInt64 = 0, close: UInt64 = 0) {
            self.idlePing = idlePing
            self.pong = pong
            self.close = close
        }
    }

    /// What `tick` decided.
    public enum Deadline: Sendable, Equatable {
        /// Nothing due (or a ping was appended to the output).
        case none
        /// A timer ran out; drop the connection without waiting any more.
        case expired(String)
    }

    public let role: Role
    public private(set) var state: State = .open
    public var reader: FrameReader
    public var timeouts: Timeouts
    /// The close code we sent, once we sent one.
    public private(set) var sentCloseCode: CloseCode?
    // Internal for the inlinable `noteActivity`, which a server calls on every read.
    @usableFromInline var lastReceived: UInt64
    @usableFromInline var pingSentAt: UInt64 = 0
    @usableFromInline var closeSentAt: UInt64 = 0
    /// Masking keys for a client: a per-connection xorshift generator seeded from the
    /// system, unpredictable enough without a getrandom(2) per frame (§10.3 asks only
    /// that the peer cannot guess the next key).
    private var maskState: UInt64

    public init(role: Role, limits: WebSocketLimits = WebSocketLimits(), timeouts: Timeouts = Timeouts(), now: UInt64,
                maskSeed: UInt64? = nil) {
        self.role = role
        self.reader = FrameReader(role: role, limits: limits)
        self.timeouts = timeouts
        self.lastReceived = now
        if let maskSeed {
            maskState = maskSeed | 1
        } else if role == .server {
            maskState = 1  // never used: a server does not mask (§5.1); no getrandom per accept
        } else {
            var generator = SystemRandomNumberGenerator()
            maskState = generator.next() | 1
        }
    }

    /// Whether messages may still be sent.
    @inlinable public var isOpen: Bool { state == .open }

    // MARK: Input

    /// Bytes arrived (any bytes, TLS or not): the peer is alive; an idle ping is answered.
    @inlinable
    public mutating func noteActivity(now: UInt64) {
        lastReceived = now
        pingSentAt = 0
    }

    /// Reads `input[consumed...]` (unmasking in place) until one event is ready or the
    /// input is used up (nil). Pings are answered into `output` here; a message that
    /// arrives after our close frame is still delivered (§7.1.2 lets the peer finish).
    /// Payloads stay valid until the next call. Inlinable: it runs once per message
    /// on a server's read path, where a call and a re-wrapped event per frame showed.
    @inlinable
    public mutating func receive(_ input: UnsafeMutableRawBufferPointer, consumed: inout Int, output: ByteBuffer) -> Event? {
        while state != .closed, let event = reader.next(input, consumed: &consumed) {
            switch event {
            case .message(let opcode, let payload, let compressed):
                return .message(opcode, payload, compressed: compressed)
            case .ping(let payload):
                answerPing(payload, output: output)
            case .pong(let payload):
                pingSentAt = 0
                return .pong(payload)
            case .close(let code, let reason):
                answerClose(code, output: output)
                consumed = input.count  // §5.5.1: nothing after a close frame counts
                return .closed(code, reason: reason)
            case .failure(let code, let reason):
                fail(code, reason: reason, output: output)
                return .failed(code, reason: reason)
            }
        }
        return nil
    }

    /// `receive` after `noteActivity(now:)`, in one call: for a reader that hands over
    /// every read at once (a server), one access to the machine per frame, not two.
    @inlinable
    public mutating func receive(_ input: UnsafeMutableRawBufferPointer, consumed: inout Int, now: UInt64, output: ByteBuffer) -> Event? {
        noteActivity(now: now)
        return receive(input, consumed: &consumed, output: output)
    }

    /// §5.5.2: a ping is answered with the same payload, unless we already said goodbye.
    @usableFromInline
    mutating func answerPing(_ payload: UnsafeRawBufferPointer, output: ByteBuffer) {
        if state == .open { appendFrame(.pong, payload, to: output) }
    }

    /// The peer's close frame ends the handshake: if it started it, our answer echoes
    /// its code (§5.5.1; an empty close answers an empty close).
    @usableFromInline
    mutating func answerClose(_ code: CloseCode?, output: ByteBuffer) {
        if state == .open {
            if let code { appendClose(code, reason: "", to: output) } else { appendFrame(.close, UnsafeRawBufferPointer(start: nil, count: 0), to: output) }
            sentCloseCode = code
        }
        state = .closed
    }

    // MARK: Output

    /// Appends one message or control frame, masked for a client. Returns false (and
    /// appends nothing) once our close frame is sent.
    @inline(__always)
    @discardableResult
    public mutating func send(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer, reservedBits: UInt8 = 0, output: ByteBuffer) -> Bool {
        guard state == .open else { return false }
        appendFrame(opcode, payload, reservedBits: reservedBits, to: output)
        return true
    }

    /// Starts the closing handshake (§7.1.2): appends our close frame. Messages that
    /// arrive until the peer answers are still delivered. No-op unless open.
    public mutating func close(code: CloseCode, reason: String = "", now: UInt64, output: ByteBuffer) {
        guard state == .open else { return }
        appendClose(code, reason: reason, to: output)
        sentCloseCode = code
        closeSentAt = now
        state = .closing
    }

    /// Fails the connection (§7.1.7): our close frame with `code` (if we had not sent
    /// one), then nothing more is read or sent. The one road to a close code: 1002,
    /// 1007, 1009 from the reader; 1007/1009 after inflating; 1011 for internal errors,
    /// whose details stay in our log and never reach the peer.
    public mutating func fail(_ code: CloseCode, reason: String, output: ByteBuffer) {
        if state == .open {
            appendClose(code, reason: code == .internalError ? "" : reason, to: output)
            sentCloseCode = code
        }
        state = .closed
    }

    /// The end of the stream (or a transport error): nothing more can be sent.
    public mutating func transportClosed() {
        state = .closed
    }

    // MARK: Time

    /// Whether `tick(now:output:)` would do anything (append a ping or expire). A
    /// server with many quiet connections asks this first and prepares no output for
    /// the ones with nothing due.
    @inlinable
    public func hasTimerDue(now: UInt64) -> Bool {
        switch state {
        case .closed:
            return false
        case .closing:
            return timeouts.close > 0 && now &- closeSentAt > timeouts.close
        case .open:
            if pingSentAt != 0 { return timeouts.pong > 0 && now &- pingSentAt > timeouts.pong }
            return timeouts.idlePing > 0 && now &- lastReceived > timeouts.idlePing
        }
    }

    /// Checks the timers: appends an idle ping when the peer has been quiet for
    /// `idlePing`, and expires a ping unanswered for `pong` or a close unanswered
    /// for `close`.
    public mutating func tick(now: UInt64, output: ByteBuffer) -> Deadline {
        switch state {
        case .closed:
            return .none
        case .closing:
            if timeouts.close > 0, now &- closeSentAt > timeouts.close { return .expired("no close frame within the close timeout") }
            return .none
        case .open:
            if pingSentAt != 0 {
                if timeouts.pong > 0, now &- pingSentAt > timeouts.pong { return .expired("no pong within the pong timeout") }
            } else if timeouts.idlePing > 0, now &- lastReceived > timeouts.idlePing {
                pingSentAt = now
                appendFrame(.ping, UnsafeRawBufferPointer(start: nil, count: 0), to: output)
            }
            return .none
        }
    }

    // MARK: Framing

    @inline(__always)
    private mutating func appendFrame(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer, reservedBits: UInt8 = 0, to output: ByteBuffer) {
        FrameWriter.append(to: output, opcode: opcode, payload: payload, reservedBits: reservedBits, maskingKey: nextMaskingKey())
    }

    private mutating func appendClose(_ code: CloseCode, reason: String, to output: ByteBuffer) {
        // A fixed 125-byte body on the stack: no array per close.
        withUnsafeTemporaryAllocation(byteCount: 125, alignment: 1) { body in
            let count = FrameWriter.writeClosePayload(code: code, reason: reason, into: body)
            appendFrame(.close, UnsafeRawBufferPointer(rebasing: body[0..<count]), to: output)
        }
    }

    /// A server sends unmasked frames (§5.1); a client a fresh key per frame (§5.3).
    @inline(__always)
    private mutating func nextMaskingKey() -> MaskingKey? {
        guard role == .client else { return nil }
        maskState ^= maskState << 13
        maskState ^= maskState >> 7
        maskState ^= maskState << 17
        return MaskingKey(packed: UInt32(truncatingIfNeeded: maskState))
    }
}
