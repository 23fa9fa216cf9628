import ByteBuffers
import CZlib

/// The errors of this module, each mapped to a close code by the connection.
public enum DeflateError: Error, Equatable, Sendable {
    /// The inflated message would exceed the message limit (close 1009).
    case tooBig(limit: Int)
    /// The compressed data is not a valid deflate stream (close 1007).
    case corrupt(String)
    /// zlib could not start (out of memory): close 1011.
    case unavailable(String)
}

/// A raw-deflate compressor for outgoing messages (RFC 7692 §7.2.1). Owned by one
/// connection, or shared by every connection of one loop when no context is taken
/// over; only ever used from that loop's thread. zlib state is allocated on first use.
public final class Compressor {
    private var stream = z_stream()
    private var started = false
    let windowBits: Int
    let memoryLevel: Int
    let level: Int

    public init(windowBits: Int, memoryLevel: Int, level: Int) {
        self.windowBits = windowBits
        self.memoryLevel = memoryLevel
        self.level = level
    }

    deinit {
        if started { deflateEnd(&stream) }
    }

    private func start() throws(DeflateError) {
        // zlib cannot compress with a 256-byte window (it silently uses 512, whose
        // back-references a peer holding us to 8 bits could not resolve). For 8 bits,
        // compress with Huffman coding only: no back-references at all, so any window
        // is honoured, and chat text still shrinks.
        let strategy = windowBits <= 8 ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY
        let bits = max(9, windowBits)
        let rc = switchboard_deflate_init(&stream, Int32(level), -Int32(bits), Int32(memoryLevel), strategy)
        guard rc == Z_OK else { throw .unavailable("deflateInit2 failed: \(rc)") }
        started = true
    }

    /// Compresses one whole message into `output` as §7.2.1 describes: deflate with a
    /// sync flush, then drop the trailing 00 00 FF FF. With `reset`, the next message
    /// starts from an empty window (no context takeover).
    public func compress(_ payload: UnsafeRawBufferPointer, into output: ByteBuffer, reset: Bool) throws(DeflateError) {
        if !started { try start() }
        let start = output.count
        stream.next_in = UnsafeMutablePointer(mutating: payload.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(payload.count)
        while true {
            let room = max(256, payload.count / 2 + 64)
            let region = output.appendUninitialized(room)
            stream.next_out = region.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(room)
            let rc = deflate(&stream, Z_SYNC_FLUSH)
            output.removeLast(Int(stream.avail_out))
            guard rc == Z_OK || rc == Z_BUF_ERROR else { throw .corrupt("deflate failed: \(rc)") }
            // Done when zlib had room left over: all input consumed and flushed.
            if stream.avail_out != 0 { break }
        }
        stream.next_in = nil
        let produced = output.count - start
        let bytes = output.readable
        if produced >= 4, bytes[bytes.count - 4] == 0, bytes[bytes.count - 3] == 0,
           bytes[bytes.count - 2] == 0xFF, bytes[bytes.count - 1] == 0xFF {
            output.removeLast(4)
        }
        if output.count == start { output.append([0]) }  // §7.2.3.6: an empty block
        if reset { deflateReset(&stream) }
    }
}

/// A raw-inflate decompressor for incoming messages (RFC 7692 §7.2.2), with a bound
/// on the output so that a small compressed frame cannot inflate without limit.
/// Ownership as for `Compressor`.
public final class Decompressor {
    private var stream = z_stream()
    private var started = false
    let windowBits: Int

    public init(windowBits: Int) {
        self.windowBits = windowBits
    }

    deinit {
        if started { inflateEnd(&stream) }
        tail.deallocate()
    }

    /// The 00 00 FF FF that §7.2.2 appends to every message before inflating.
    private let tail: UnsafeMutableRawBufferPointer = {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 1)
        bytes.copyBytes(from: [0x00, 0x00, 0xFF, 0xFF] as [UInt8])
        return bytes
    }()

    /// Inflates one whole message (its frames' payloads joined) into `output`,
    /// failing as soon as the output would pass `limit` bytes.
    public func decompress(_ payload: UnsafeRawBufferPointer, into output: ByteBuffer, limit: Int, reset: Bool) throws(DeflateError) {
        if !started {
            // Inflating with the largest window reads a stream made with any smaller one.
            let rc = switchboard_inflate_init(&stream, -Int32(max(windowBits, 8)))
            guard rc == Z_OK else { throw .unavailable("inflateInit2 failed: \(rc)") }
            started = true
        }
        defer { if reset { inflateReset(&stream) } }
        let start = output.count
        try inflateAll(payload, into: output, start: start, limit: limit)
        try inflateAll(UnsafeRawBufferPointer(tail), into: output, start: start, limit: limit)
    }

    private func inflateAll(_ input: UnsafeRawBufferPointer, into output: ByteBuffer, start: Int, limit: Int) throws(DeflateError) {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        defer { stream.next_in = nil }
        while true {
            let produced = output.count - start
            // One byte past the limit is enough to know the limit was passed.
            let room = min(max(1024, input.count * 4), limit - produced + 1)
            let region = output.appendUninitialized(room)
            stream.next_out = region.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(room)
            let rc = inflate(&stream, Z_SYNC_FLUSH)
            let outputFull = stream.avail_out == 0
            output.removeLast(Int(stream.avail_out))
            if output.count - start > limit {
                inflateReset(&stream)
                throw .tooBig(limit: limit)
            }
            switch rc {
            case Z_OK:
                // More output may be pending while the output was full.
                if !outputFull && stream.avail_in == 0 { return }
            case Z_BUF_ERROR:
                return  // no progress possible: input used up, nothing pending
            case Z_STREAM_END:
                // A final block ends the stream; the rest starts a fresh one.
                inflateReset(&stream)
                if stream.avail_in == 0 { return }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                inflateReset(&stream)
                throw .corrupt(message)
            }
        }
    }
}
