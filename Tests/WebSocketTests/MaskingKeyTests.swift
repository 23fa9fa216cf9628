import WebSocket
import Testing

/// Masking (RFC 6455 §5.3) against a byte-by-byte reference, at every key offset and
/// every alignment the word-at-a-time loop could get wrong.
@Suite struct MaskingKeyTests {
    static let keyBytes: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    static let key = MaskingKey(0x37, 0xFA, 0x21, 0x3D)

    /// §5.3: octet i is XORed with key octet (i + offset) mod 4.
    static func reference(_ bytes: [UInt8], offset: Int) -> [UInt8] {
        bytes.enumerated().map { $0.element ^ keyBytes[($0.offset + offset) % 4] }
    }

    @Test func masksTheRFCsHelloExample() {
        var bytes = Array("Hello".utf8)
        bytes.withUnsafeMutableBytes { _ = Self.key.apply(to: $0) }
        #expect(bytes == [0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func keepsItsBytesInWireOrder() {
        withUnsafeBytes(of: Self.key.packed) { #expect(Array($0) == Self.keyBytes) }
    }

    @Test(arguments: 0...3)
    func matchesTheByteByByteReferenceForEveryLengthUpTo40(_ offset: Int) {
        for length in 0...40 {
            var bytes = pattern(length)
            let next = bytes.withUnsafeMutableBytes { Self.key.apply(to: $0, offset: offset) }
            #expect(bytes == Self.reference(pattern(length), offset: offset), "offset \(offset), length \(length)")
            #expect(next == (offset + length) % 4, "offset \(offset), length \(length)")
        }
    }

    @Test(arguments: 1...7)
    func matchesTheReferenceOnUnalignedBuffers(_ misalignment: Int) {
        for offset in 0...3 {
            var storage = [UInt8](repeating: 0xAA, count: misalignment + 40 + 3)
            storage.replaceSubrange(misalignment..<(misalignment + 40), with: pattern(40))
            storage.withUnsafeMutableBytes { all in
                _ = Self.key.apply(to: UnsafeMutableRawBufferPointer(rebasing: all[misalignment..<(misalignment + 40)]), offset: offset)
            }
            #expect(Array(storage[misalignment..<(misalignment + 40)]) == Self.reference(pattern(40), offset: offset))
            #expect(storage[..<misalignment].allSatisfy { $0 == 0xAA } && storage[(misalignment + 40)...].allSatisfy { $0 == 0xAA },
                    "bytes outside the buffer were touched")
        }
    }

    @Test func applyingTwiceRestoresTheBytes() {
        for offset in 0...3 {
            for length in [0, 1, 7, 8, 9, 33, 1000] {
                var bytes = pattern(length)
                bytes.withUnsafeMutableBytes {
                    Self.key.apply(to: $0, offset: offset)
                    Self.key.apply(to: $0, offset: offset)
                }
                #expect(bytes == pattern(length))
            }
        }
    }

    @Test func maskingInPiecesWithTheReturnedOffsetEqualsMaskingAtOnce() {
        let whole = Self.reference(pattern(50), offset: 0)
        for first in 0...50 {
            for second in [0, 1, 5, 13] where first + second <= 50 {
                var bytes = pattern(50)
                bytes.withUnsafeMutableBytes { all in
                    var offset = Self.key.apply(to: UnsafeMutableRawBufferPointer(rebasing: all[0..<first]))
                    offset = Self.key.apply(to: UnsafeMutableRawBufferPointer(rebasing: all[first..<(first + second)]), offset: offset)
                    Self.key.apply(to: UnsafeMutableRawBufferPointer(rebasing: all[(first + second)...]), offset: offset)
                }
                #expect(bytes == whole, "pieces of \(first), \(second) and the rest")
            }
        }
    }

    @Test func anAllZeroKeyLeavesBytesUnchanged() {
        var bytes = pattern(20)
        bytes.withUnsafeMutableBytes { _ = MaskingKey(0, 0, 0, 0).apply(to: $0, offset: 2) }
        #expect(bytes == pattern(20))
    }

    @Test func randomKeysDiffer() {
        let keys = Set((0..<16).map { _ in MaskingKey.random().packed })
        #expect(keys.count > 1)
    }
}
