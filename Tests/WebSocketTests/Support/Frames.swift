import Testing
import WebSocket

/// Frames built byte by byte, independently of `FrameHeader` and `FrameWriter`, so the
/// reader is checked against RFC 6455 §5.2 rather than against its own writer. Every
/// field may be set to a value a reader must refuse.

/// The masking key of the RFC's examples (§5.7).
let exampleKey: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

/// How the payload length is written (§5.2): the shortest form, or a forced longer one.
enum LengthForm {
    case shortest, sixteenBit, sixtyFourBit
}

/// One frame's bytes. `opcode` is raw so reserved opcodes can be sent; `rsv` is the
/// three bits 0b0111_0000; a `mask` key makes it a client frame.
func frameBytes(
    _ opcode: UInt8, _ payload: [UInt8] = [], fin: Bool = true, rsv: UInt8 = 0,
    mask: [UInt8]? = nil, length: LengthForm = .shortest, declaredLength: UInt64? = nil
) -> [UInt8] {
    var bytes: [UInt8] = [(fin ? 0x80 : 0) | rsv | opcode]
    let maskBit: UInt8 = mask == nil ? 0 : 0x80
    let count = declaredLength ?? UInt64(payload.count)
    switch length {
    case .shortest where count < 126:
        bytes.append(maskBit | UInt8(count))
    case .shortest where count <= 0xFFFF, .sixteenBit:
        bytes.append(maskBit | 126)
        bytes += [UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
    default:
        bytes.append(maskBit | 127)
        bytes += (0..<8).reversed().map { UInt8(count >> (8 * UInt64($0)) & 0xFF) }
    }
    if let mask {
        bytes += mask
        bytes += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    } else {
        bytes += payload
    }
    return bytes
}

/// A frame as a client sends it: masked (§5.3).
func clientFrame(_ opcode: Opcode, _ payload: [UInt8] = [], fin: Bool = true, rsv: UInt8 = 0, mask: [UInt8] = exampleKey) -> [UInt8] {
    frameBytes(opcode.rawValue, payload, fin: fin, rsv: rsv, mask: mask)
}

func clientFrame(_ opcode: Opcode, _ text: String, fin: Bool = true) -> [UInt8] {
    clientFrame(opcode, Array(text.utf8), fin: fin)
}

/// A frame as a server sends it: unmasked.
func serverFrame(_ opcode: Opcode, _ payload: [UInt8] = [], fin: Bool = true, rsv: UInt8 = 0) -> [UInt8] {
    frameBytes(opcode.rawValue, payload, fin: fin, rsv: rsv, mask: nil)
}

/// A close frame's payload: the code in network order, then the reason (§5.5.1).
func closeBody(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
    [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
}

/// `count` bytes that differ from one another, so a misplaced byte shows.
func pattern(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
}

/// A reader event with its payload copied out: the reader's pointers are valid only
/// until its next call.
enum Event: Equatable, CustomStringConvertible {
    case message(Opcode, [UInt8], compressed: Bool)
    case ping([UInt8])
    case pong([UInt8])
    case close(CloseCode?, reason: String)
    case failure(CloseCode)

    init(_ event: WebSocketEvent) {
        switch event {
        case .message(let opcode, let payload, let compressed): self = .message(opcode, Array(payload), compressed: compressed)
        case .ping(let payload): self = .ping(Array(payload))
        case .pong(let payload): self = .pong(Array(payload))
        case .close(let code, let reason): self = .close(code, reason: reason)
        case .failure(let code, _): self = .failure(code)
        }
    }

    static func text(_ text: String) -> Event { .message(.text, Array(text.utf8), compressed: false) }
    static func binary(_ bytes: [UInt8]) -> Event { .message(.binary, bytes, compressed: false) }

    var description: String {
        switch self {
        case .message(let opcode, let payload, let compressed):
            "message(\(opcode), \(payload.count) bytes\(compressed ? ", compressed" : ""))"
        case .ping(let payload): "ping(\(payload))"
        case .pong(let payload): "pong(\(payload))"
        case .close(let code, let reason): "close(\(code.map(String.init(describing:)) ?? "nil"), \(reason.debugDescription))"
        case .failure(let code): "failure(\(code))"
        }
    }
}

/// A frame reader driven the way a connection drives it: each read is a separate
/// writable buffer, and `next` is called until it asks for more. A class, so a feed
/// can sit inside `#expect` in any form (the macro's function-call form takes its
/// receiver as an immutable value).
final class ReaderHarness {
    private(set) var reader: FrameReader

    init(role: Role = .server, limits: WebSocketLimits = WebSocketLimits(), allowedReservedBits: UInt8 = 0) {
        reader = FrameReader(role: role, limits: limits)
        reader.allowedReservedBits = allowedReservedBits
    }

    /// Feeds one read and returns the events it produced, payloads copied.
    func feed(_ bytes: [UInt8]) -> [Event] {
        var input = bytes
        var events: [Event] = []
        input.withUnsafeMutableBytes { buffer in
            var consumed = 0
            while let event = reader.next(buffer, consumed: &consumed) {
                events.append(Event(event))
                #expect(consumed <= buffer.count)
            }
            #expect(consumed == buffer.count, "the reader asks for more only once it has taken every byte")
        }
        return events
    }

    /// Feeds the reads in order and returns all their events.
    func feed(reads: [[UInt8]]) -> [Event] {
        reads.flatMap { feed($0) }
    }
}

/// Events from `bytes` given in one read.
func readEvents(_ bytes: [UInt8], role: Role = .server, limits: WebSocketLimits = WebSocketLimits(), allowedReservedBits: UInt8 = 0) -> [Event] {
    ReaderHarness(role: role, limits: limits, allowedReservedBits: allowedReservedBits).feed(bytes)
}

/// Events from `bytes` given one byte per read.
func readEventsOneByteAtATime(_ bytes: [UInt8], role: Role = .server, limits: WebSocketLimits = WebSocketLimits(), allowedReservedBits: UInt8 = 0) -> [Event] {
    ReaderHarness(role: role, limits: limits, allowedReservedBits: allowedReservedBits).feed(reads: bytes.map { [$0] })
}

/// Events from `bytes` given in two reads split at `split`.
func readEvents(_ bytes: [UInt8], splitAt split: Int, role: Role = .server, limits: WebSocketLimits = WebSocketLimits()) -> [Event] {
    ReaderHarness(role: role, limits: limits).feed(reads: [Array(bytes[..<split]), Array(bytes[split...])])
}
