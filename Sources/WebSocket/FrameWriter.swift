/// Serializes frames into a byte array (RFC 6455 §5.2). Servers send unmasked frames;
/// clients mask every frame with a fresh key (§5.3). Stateless.
public enum FrameWriter {
    /// Appends one frame to `output`. A client passes `mask: true`.
    @inline(__always)
    public static func append(
        to output: inout [UInt8], opcode: Opcode, payload: UnsafeRawBufferPointer,
        fin: Bool = true, reservedBits: UInt8 = 0, mask: Bool = false
    ) {
        let key: MaskingKey? = mask ? MaskingKey.random() : nil
        let header = FrameHeader(fin: fin, reservedBits: reservedBits, opcode: opcode, maskingKey: key, payloadLength: UInt64(payload.count))
        let start = output.count
        let total = header.headerLength + payload.count
        // One resize and raw copies: this runs once per echoed message.
        output.append(contentsOf: repeatElement(0, count: total))
        output.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress! + start
            header.write(to: base)
            if payload.count > 0 {
                let body = UnsafeMutableRawBufferPointer(start: base + header.headerLength, count: payload.count)
                body.copyMemory(from: payload)
                key?.apply(to: body)
            }
        }
    }

    /// Convenience for tests and small control frames.
    public static func frame(opcode: Opcode, payload: [UInt8], fin: Bool = true, reservedBits: UInt8 = 0, mask: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        payload.withUnsafeBytes { append(to: &output, opcode: opcode, payload: $0, fin: fin, reservedBits: reservedBits, mask: mask) }
        return output
    }

    /// The payload of a close frame: the code in network order, then the UTF-8 reason
    /// (§5.5.1), cut so the whole payload fits a control frame's 125 bytes.
    public static func closePayload(code: CloseCode, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        var reasonBytes = Array(reason.utf8.prefix(123))
        // Do not cut a character in half: back up to a boundary.
        while !reasonBytes.isEmpty, !reasonBytes.withUnsafeBytes({ UTF8Validator.isValid($0) }) { reasonBytes.removeLast() }
        payload.append(contentsOf: reasonBytes)
        return payload
    }

    /// Writes a close payload (§5.5.1) into `body` (at least 125 bytes) without
    /// allocating: the code, then as much of the reason as fits, cut at a character
    /// boundary. Returns the bytes written.
    public static func writeClosePayload(code: CloseCode, reason: String, into body: UnsafeMutableRawBufferPointer) -> Int {
        precondition(body.count >= 125, "a close body needs room for 125 bytes")
        body[0] = UInt8(code.rawValue >> 8)
        body[1] = UInt8(code.rawValue & 0xFF)
        var count = 2
        for byte in reason.utf8 {
            guard count < 125 else {
                // `byte` does not fit. If it continues a character, that character is
                // cut: drop its bytes already written, lead byte included.
                if byte & 0xC0 == 0x80 {
                    while count > 2, body[count - 1] & 0xC0 == 0x80 { count -= 1 }
                    if count > 2 { count -= 1 }
                }
                return count
            }
            body[count] = byte
            count += 1
        }
        return count
    }
}

import ByteBuffers

extension FrameWriter {
    /// Appends one frame to a connection's byte buffer: the hot path of every send.
    /// `maskingKey` is for clients (§5.3); servers pass nil.
    @inline(__always)
    public static func append(
        to output: ByteBuffer, opcode: Opcode, payload: UnsafeRawBufferPointer,
        fin: Bool = true, reservedBits: UInt8 = 0, maskingKey key: MaskingKey? = nil
    ) {
        let header = FrameHeader(fin: fin, reservedBits: reservedBits, opcode: opcode, maskingKey: key, payloadLength: UInt64(payload.count))
        let region = output.appendUninitialized(header.headerLength + payload.count)
        header.write(to: region.baseAddress!)
        if payload.count > 0 {
            let body = UnsafeMutableRawBufferPointer(rebasing: region[header.headerLength...])
            body.copyMemory(from: payload)
            key?.apply(to: body)
        }
    }
}
