/// The masking key of a frame, in wire order (RFC 6455 §5.3).
public struct MaskingKey: Sendable, Equatable {
    /// The four key bytes as they sit in memory, loaded as one native integer.
    public let packed: UInt32

    public init(packed: UInt32) { self.packed = packed }

    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        packed = withUnsafeBytes(of: (b0, b1, b2, b3)) { $0.loadUnaligned(as: UInt32.self) }
    }

    /// A fresh key from the system's random generator, as §5.3 requires of clients.
    public static func random() -> MaskingKey {
        var generator = SystemRandomNumberGenerator()
        return MaskingKey(packed: generator.next())
    }

    /// XORs `bytes` in place with the key, starting at key byte `offset` (0…3), and
    /// returns the offset for the bytes that follow. 8 bytes at a time: the key is
    /// rotated to the starting offset and repeated into a 64-bit word.
    @inline(__always)
    @discardableResult
    public func apply(to bytes: UnsafeMutableRawBufferPointer, offset: Int = 0) -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return offset }
        let count = bytes.count
        let shift = UInt32(truncatingIfNeeded: (offset & 3) * 8)
        // Memory order is little-endian on every platform Swift on Linux runs on,
        // so "start at key byte k" is a right rotation by 8k bits.
        let rotated = (packed >> shift) | (packed << (32 &- shift))
        let word = UInt64(rotated) | (UInt64(rotated) << 32)
        var index = 0
        while index + 8 <= count {
            let value = base.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ word
            base.storeBytes(of: value, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        var keyBytes = word
        withUnsafeBytes(of: &keyBytes) { key in
            var k = 0
            while index < count {
                let value = base.load(fromByteOffset: index, as: UInt8.self) ^ key[k]
                base.storeBytes(of: value, toByteOffset: index, as: UInt8.self)
                index += 1
                k += 1
            }
        }
        return (offset + count) & 3
    }
}
