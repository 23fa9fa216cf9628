/// The fixed part of a frame (RFC 6455 §5.2): FIN, RSV1–3, opcode, MASK, length, key.
public struct FrameHeader: Sendable, Equatable {
    public var fin: Bool
    /// RSV1–3 as the three bits 0b0111_0000 of the first byte; nonzero only with an
    /// extension that defines them (RSV1: permessage-deflate, RFC 7692).
    public var reservedBits: UInt8
    /// The raw 4-bit opcode; unknown values are rejected by the reader, not here.
    public var rawOpcode: UInt8
    public var maskingKey: MaskingKey?
    public var payloadLength: UInt64
    /// Bytes the header took on the wire: 2 to 14.
    public var headerLength: Int

    public var opcode: Opcode? { Opcode(rawValue: rawOpcode) }

    public init(fin: Bool, reservedBits: UInt8 = 0, opcode: Opcode, maskingKey: MaskingKey? = nil, payloadLength: UInt64) {
        self.fin = fin
        self.reservedBits = reservedBits
        self.rawOpcode = opcode.rawValue
        self.maskingKey = maskingKey
        self.payloadLength = payloadLength
        self.headerLength = FrameHeader.encodedSize(payloadLength: payloadLength, masked: maskingKey != nil)
    }

    private init(fin: Bool, reservedBits: UInt8, rawOpcode: UInt8, maskingKey: MaskingKey?, payloadLength: UInt64, headerLength: Int) {
        self.fin = fin
        self.reservedBits = reservedBits
        self.rawOpcode = rawOpcode
        self.maskingKey = maskingKey
        self.payloadLength = payloadLength
        self.headerLength = headerLength
    }

    public enum ParseResult: Sendable, Equatable {
        case needMore
        case header(FrameHeader)
        /// The 64-bit length had its most significant bit set (§5.2).
        case invalidLength
    }

    /// Parses a header from the start of `bytes` without consuming anything.
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        let count = bytes.count
        guard count >= 2 else { return .needMore }
        let first = bytes[0], second = bytes[1]
        let masked = second & 0x80 != 0
        var length = UInt64(second & 0x7F)
        var offset = 2
        if length == 126 {
            guard count >= 4 else { return .needMore }
            length = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            offset = 4
        } else if length == 127 {
            guard count >= 10 else { return .needMore }
            length = 0
            for index in 2..<10 { length = length << 8 | UInt64(bytes[index]) }
            if length & (1 << 63) != 0 { return .invalidLength }
            offset = 10
        }
        var key: MaskingKey?
        if masked {
            guard count >= offset + 4 else { return .needMore }
            key = MaskingKey(packed: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset += 4
        }
        return .header(FrameHeader(fin: first & 0x80 != 0, reservedBits: first & 0x70, rawOpcode: first & 0x0F,
                                   maskingKey: key, payloadLength: length, headerLength: offset))
    }

    /// Header bytes for a payload of this length (§5.2: 7-bit, 16-bit or 64-bit length).
    @inline(__always)
    public static func encodedSize(payloadLength: UInt64, masked: Bool) -> Int {
        let base = payloadLength < 126 ? 2 : (payloadLength <= 0xFFFF ? 4 : 10)
        return masked ? base + 4 : base
    }

    /// Writes the header at `pointer` (which must have `headerLength` bytes) and
    /// returns the bytes written. Uses the shortest length encoding.
    @inline(__always)
    @discardableResult
    public func write(to pointer: UnsafeMutableRawPointer) -> Int {
        var first = rawOpcode | reservedBits
        if fin { first |= 0x80 }
        pointer.storeBytes(of: first, as: UInt8.self)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        var offset: Int
        if payloadLength < 126 {
            pointer.storeBytes(of: maskBit | UInt8(payloadLength), toByteOffset: 1, as: UInt8.self)
            offset = 2
        } else if payloadLength <= 0xFFFF {
            pointer.storeBytes(of: maskBit | 126, toByteOffset: 1, as: UInt8.self)
            pointer.storeBytes(of: UInt16(payloadLength).bigEndian, toByteOffset: 2, as: UInt16.self)
            offset = 4
        } else {
            pointer.storeBytes(of: maskBit | 127, toByteOffset: 1, as: UInt8.self)
            pointer.storeBytes(of: payloadLength.bigEndian, toByteOffset: 2, as: UInt64.self)
            offset = 10
        }
        if let key = maskingKey {
            pointer.storeBytes(of: key.packed, toByteOffset: offset, as: UInt32.self)
            offset += 4
        }
        return offset
    }
}
