import ByteBuffers

/// Which end of the connection this is; it decides the masking rule (RFC 6455 §5.1).
public enum Role: Sendable {
    case server
    case client
}

/// Limits on what a peer may make us hold (habit 3); past them: 1009.
public struct WebSocketLimits: Sendable {
    /// Largest payload of a single frame.
    public var maxFrameSize: Int = 16 * 1024 * 1024
    /// Largest message, all fragments together (before decompression).
    public var maxMessageSize: Int = 64 * 1024 * 1024

    public init(maxFrameSize: Int = 16 * 1024 * 1024, maxMessageSize: Int = 64 * 1024 * 1024) {
        self.maxFrameSize = maxFrameSize
        self.maxMessageSize = maxMessageSize
    }
}

/// What the reader found in the bytes. Payload pointers stay valid until the next
/// call to `FrameReader.next` (they point into the input or into the reader's buffer).
public enum WebSocketEvent {
    /// A whole text or binary message. Text is valid UTF-8 unless `compressed`, in which
    /// case the caller validates it after inflating (RFC 7692 §6).
    case message(Opcode, UnsafeRawBufferPointer, compressed: Bool)
    case ping(UnsafeRawBufferPointer)
    case pong(UnsafeRawBufferPointer)
    /// The peer's close frame: its code (nil when it sent none, §7.1.5) and reason.
    case close(CloseCode?, reason: String)
    /// The peer broke the protocol; close with this code (§7.1.7). Nothing more is read.
    case failure(CloseCode, reason: String)
}

/// The sans-I/O RFC 6455 frame reader: bytes in, events out.
///
/// It unmasks in place (so the input must be writable), delivers a whole unfragmented
/// message straight from the input without copying, assembles fragmented messages
/// with control frames interleaved (§5.4), validates text incrementally so invalid
/// UTF-8 fails at the first bad byte (§8.1), and enforces frame and message limits.
/// Owned by one connection on one loop thread.
public struct FrameReader {
    public let role: Role
    public let limits: WebSocketLimits
    /// RSV bits an extension has claimed (0x40 once permessage-deflate is negotiated).
    public var allowedReservedBits: UInt8 = 0

    // A header split across reads is gathered here (at most 14 bytes).
    private var partialHeader: [UInt8] = []
    // The frame being read.
    private var inFrame = false
    private var frameOpcode: Opcode = .continuation
    private var frameFin = false
    private var frameKey: MaskingKey?
    private var frameRemaining: UInt64 = 0
    private var maskOffset = 0
    // The message being assembled (fragmented or split across reads).
    private var messageOpcode: Opcode?
    private var messageCompressed = false
    private var messageSize = 0
    private var validator = UTF8Validator()
    private var message: ByteBuffer?
    private var control: ByteBuffer?
    private var releaseMessage = false
    private var releaseControl = false
    public private(set) var failed = false

    public init(role: Role, limits: WebSocketLimits = WebSocketLimits()) {
        self.role = role
        self.limits = limits
    }

    /// True when no partial frame or message is held: the connection owns no buffers
    /// for this reader and may drop its read buffer.
    public var isIdle: Bool { !inFrame && messageOpcode == nil && partialHeader.isEmpty }

    /// Reads from `input[consumed...]`, advancing `consumed`, until one event is ready
    /// (returned) or the input is used up (nil: give more bytes). Call again after an
    /// event; payloads of the previous event become invalid.
    public mutating func next(_ input: UnsafeMutableRawBufferPointer, consumed: inout Int) -> WebSocketEvent? {
        if releaseMessage { message?.clear(); releaseMessage = false }
        if releaseControl { control?.clear(); releaseControl = false }
        if failed {
            consumed = input.count
            return nil
        }
        while true {
            if !inFrame {
                guard consumed < input.count else { return nil }
                let header: FrameHeader
                switch readHeader(input, consumed: &consumed) {
                case .none: return nil
                case .some(.failure(let code, let reason)): return fail(code, reason)
                case .some(.success(let parsed)): header = parsed
                }
                if let failure = begin(header) { return failure }
                // Fast path: a whole single-frame message is in the input. Unmask it in
                // place and hand it over without a copy.
                if !frameOpcode.isControl, frameOpcode != .continuation, frameFin,
                   frameRemaining <= UInt64(input.count - consumed) {
                    let length = Int(frameRemaining)
                    let payload = UnsafeMutableRawBufferPointer(rebasing: input[consumed..<(consumed + length)])
                    frameKey?.apply(to: payload)
                    consumed += length
                    inFrame = false
                    let opcode = frameOpcode
                    let compressed = messageCompressed
                    messageOpcode = nil
                    if opcode == .text && !compressed && !UTF8Validator.isValid(UnsafeRawBufferPointer(payload)) {
                        return fail(.invalidPayload, "invalid UTF-8 in text message")
                    }
                    return .message(opcode, UnsafeRawBufferPointer(payload), compressed: compressed)
                }
                if frameRemaining == 0 {
                    if let event = endFrame() { return event }
                    continue
                }
            }
            guard consumed < input.count else { return nil }
            let take = Int(min(UInt64(input.count - consumed), frameRemaining))
            let chunk = UnsafeMutableRawBufferPointer(rebasing: input[consumed..<(consumed + take)])
            if let key = frameKey { maskOffset = key.apply(to: chunk, offset: maskOffset) }
            consumed += take
            frameRemaining -= UInt64(take)
            if frameOpcode.isControl {
                control(create: true).append(UnsafeRawBufferPointer(chunk))
            } else {
                if messageOpcode == .text, !messageCompressed, !validator.validate(UnsafeRawBufferPointer(chunk)) {
                    return fail(.invalidPayload, "invalid UTF-8 in text message")
                }
                message(create: true).append(UnsafeRawBufferPointer(chunk))
            }
            if frameRemaining == 0, let event = endFrame() { return event }
        }
    }

    private mutating func control(create: Bool) -> ByteBuffer {
        if let control { return control }
        let buffer = ByteBuffer(capacity: 128)
        control = buffer
        return buffer
    }

    private mutating func message(create: Bool) -> ByteBuffer {
        if let message { return message }
        let buffer = ByteBuffer()
        message = buffer
        return buffer
    }

    private enum HeaderOutcome {
        case success(FrameHeader)
        case failure(CloseCode, String)
    }

    /// Parses a header from the input, or from bytes kept from the previous read.
    private mutating func readHeader(_ input: UnsafeMutableRawBufferPointer, consumed: inout Int) -> HeaderOutcome? {
        if partialHeader.isEmpty {
            switch FrameHeader.parse(UnsafeRawBufferPointer(rebasing: input[consumed...])) {
            case .needMore:
                partialHeader.append(contentsOf: input[consumed...])
                consumed = input.count
                return nil
            case .invalidLength:
                return .failure(.protocolError, "payload length has its most significant bit set")
            case .header(let header):
                consumed += header.headerLength
                return .success(header)
            }
        }
        let kept = partialHeader.count
        let take = min(14 - kept, input.count - consumed)
        partialHeader.append(contentsOf: input[consumed..<(consumed + take)])
        switch partialHeader.withUnsafeBytes({ FrameHeader.parse($0) }) {
        case .needMore:
            consumed += take
            return nil
        case .invalidLength:
            return .failure(.protocolError, "payload length has its most significant bit set")
        case .header(let header):
            consumed += header.headerLength - kept
            partialHeader.removeAll(keepingCapacity: true)
            return .success(header)
        }
    }

    /// Checks a header against §5.1–§5.5 and the limits, and starts the frame.
    private mutating func begin(_ header: FrameHeader) -> WebSocketEvent? {
        guard let opcode = header.opcode else { return fail(.protocolError, "reserved opcode \(header.rawOpcode)") }
        if header.reservedBits & ~allowedReservedBits != 0 {
            return fail(.protocolError, "reserved bits set without an extension that defines them")
        }
        switch role {
        case .server where header.maskingKey == nil: return fail(.protocolError, "client frame is not masked")
        case .client where header.maskingKey != nil: return fail(.protocolError, "server frame is masked")
        default: break
        }
        if opcode.isControl {
            if !header.fin { return fail(.protocolError, "fragmented control frame") }
            if header.payloadLength > 125 { return fail(.protocolError, "control frame payload longer than 125 bytes") }
            if header.reservedBits != 0 { return fail(.protocolError, "reserved bits set on a control frame") }
        } else if opcode == .continuation {
            if messageOpcode == nil { return fail(.protocolError, "continuation frame without a message to continue") }
            // RFC 7692 §6.1: RSV1 marks only a message's first frame.
            if header.reservedBits != 0 { return fail(.protocolError, "reserved bits set on a continuation frame") }
        } else {
            if messageOpcode != nil { return fail(.protocolError, "new message before the previous one finished") }
        }
        if !opcode.isControl {
            if header.payloadLength > UInt64(limits.maxFrameSize) {
                return fail(.messageTooBig, "frame larger than \(limits.maxFrameSize) bytes")
            }
            let size = (opcode == .continuation ? messageSize : 0) + Int(header.payloadLength)
            if size > limits.maxMessageSize {
                return fail(.messageTooBig, "message larger than \(limits.maxMessageSize) bytes")
            }
            messageSize = size
            if opcode != .continuation {
                messageOpcode = opcode
                messageCompressed = header.reservedBits & 0x40 != 0
                validator.reset()
            }
        }
        inFrame = true
        frameOpcode = opcode
        frameFin = header.fin
        frameKey = header.maskingKey
        frameRemaining = header.payloadLength
        maskOffset = 0
        return nil
    }

    /// A frame's payload is complete: produce its event, if it finishes something.
    private mutating func endFrame() -> WebSocketEvent? {
        inFrame = false
        if frameOpcode.isControl {
            releaseControl = true
            let payload = control.map { UnsafeRawBufferPointer($0.readable) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            switch frameOpcode {
            case .ping: return .ping(payload)
            case .pong: return .pong(payload)
            default: return closeEvent(payload)
            }
        }
        guard frameFin, let opcode = messageOpcode else { return nil }
        messageOpcode = nil
        if opcode == .text, !messageCompressed, !validator.isComplete {
            return fail(.invalidPayload, "text message ends inside a UTF-8 sequence")
        }
        releaseMessage = true
        let payload = message.map { UnsafeRawBufferPointer($0.readable) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
        return .message(opcode, payload, compressed: messageCompressed)
    }

    /// §5.5.1: an empty body, or a 2-byte code and a UTF-8 reason.
    private mutating func closeEvent(_ payload: UnsafeRawBufferPointer) -> WebSocketEvent {
        if payload.count == 0 { return .close(nil, reason: "") }
        if payload.count == 1 { return fail(.protocolError, "close frame with a 1-byte body") }
        let code = CloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
        if !code.isValidOnWire { return fail(.protocolError, "invalid close code \(code.rawValue)") }
        let reason = UnsafeRawBufferPointer(rebasing: payload[2...])
        if !UTF8Validator.isValid(reason) { return fail(.invalidPayload, "close reason is not valid UTF-8") }
        return .close(code, reason: String(decoding: reason, as: UTF8.self))
    }

    private mutating func fail(_ code: CloseCode, _ reason: String) -> WebSocketEvent {
        failed = true
        return .failure(code, reason: reason)
    }
}
