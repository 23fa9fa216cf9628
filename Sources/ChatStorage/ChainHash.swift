import COpenSSL

/// One link of the transcript hash chain (protocol/storage.md, "Tamper evidence"): the
/// SHA-256 of the previous record's link followed by this record's bytes from its
/// length field to the end of its payload. 32 bytes held inline (four words), so a
/// record costs no allocation for its hash. A plain value.
public struct ChainHash: Hashable, Sendable, CustomStringConvertible {
    public static let size = 32
    /// The link before the first record of all: 32 zero bytes.
    public static let zero = ChainHash(words: (0, 0, 0, 0))

    var words: (UInt64, UInt64, UInt64, UInt64)

    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The 32 bytes at `offset` of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        words = (bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self),
                 bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self),
                 bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self),
                 bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
    }

    /// From 64 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let high = ChainHash.nibble(digits[2 * i]), let low = ChainHash.nibble(digits[2 * i + 1]) else { return nil }
            bytes[i] = high << 4 | low
        }
        self = bytes.withUnsafeBytes { ChainHash($0, at: 0) }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// The next link: SHA-256(self ‖ `data`).
    public func next(_ data: UnsafeRawBufferPointer) -> ChainHash {
        var previous = words
        var out = ChainHash.zero.words
        // Sound: both tuples are 32 contiguous bytes on the stack for the call's duration.
        withUnsafeBytes(of: &previous) { p in
            withUnsafeMutableBytes(of: &out) { o in
                switchboard_sha256_chain(p.baseAddress!.assumingMemoryBound(to: UInt8.self), data.baseAddress, data.count,
                                         o.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return ChainHash(words: out)
    }

    public var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }

    public func append(to out: inout [UInt8]) {
        withUnsafeBytes(of: words) { out.append(contentsOf: $0) }
    }

    /// 64 lowercase hex digits (what exports and `verify` print).
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    public static func == (a: ChainHash, b: ChainHash) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
