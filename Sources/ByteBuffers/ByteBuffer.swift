#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer with stable storage, owned by one connection on one loop
/// thread. Unlike `[UInt8]`, a pointer to its bytes may be handed out until the next
/// mutation, which lets parsers deliver messages without copying them again.
public final class ByteBuffer {
    public private(set) var base: UnsafeMutableRawPointer?
    public private(set) var capacity: Int = 0
    /// Bytes before `readerIndex` were consumed and are reclaimed lazily.
    public private(set) var readerIndex: Int = 0
    public private(set) var writerIndex: Int = 0

    public init(capacity: Int = 0) {
        if capacity > 0 { reserve(capacity) }
    }

    deinit { free(base) }

    /// Readable bytes.
    @inline(__always) public var count: Int { writerIndex - readerIndex }
    @inline(__always) public var isEmpty: Bool { writerIndex == readerIndex }

    /// The readable bytes; valid until the next mutation.
    @inline(__always) public var readable: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base.map { $0 + readerIndex }, count: count)
    }

    /// Makes room for `additional` more bytes, compacting consumed bytes first.
    public func reserve(_ additional: Int) {
        if writerIndex + additional <= capacity { return }
        if readerIndex > 0 {
            let live = count
            if live > 0 { memmove(base!, base! + readerIndex, live) }
            readerIndex = 0
            writerIndex = live
            if writerIndex + additional <= capacity { return }
        }
        var newCapacity = max(capacity, 64)
        while newCapacity < writerIndex + additional { newCapacity *= 2 }
        // realloc either grows in place or copies; the old pointer is then invalid,
        // which is why pointers from `readable` last only until the next mutation.
        guard let grown = realloc(base, newCapacity) else { fatalError("out of memory growing a buffer to \(newCapacity) bytes") }
        base = grown
        capacity = newCapacity
    }

    @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        (base! + writerIndex).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        writerIndex += bytes.count
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Reserves `count` bytes at the end for the caller to fill, and returns them.
    @inline(__always)
    public func appendUninitialized(_ count: Int) -> UnsafeMutableRawBufferPointer {
        reserve(count)
        let region = UnsafeMutableRawBufferPointer(start: base! + writerIndex, count: count)
        writerIndex += count
        return region
    }

    /// Drops `count` bytes from the end (undoing part of an `appendUninitialized`).
    public func removeLast(_ count: Int) {
        writerIndex -= min(count, self.count)
    }

    /// Consumes `count` bytes from the front.
    @inline(__always)
    public func moveReaderIndex(by count: Int) {
        readerIndex += count
        if readerIndex >= writerIndex {
            readerIndex = 0
            writerIndex = 0
        }
    }

    /// Empties the buffer; frees the storage if it grew past `keepingCapacity`, so that
    /// one large message does not pin memory on an otherwise idle connection.
    public func clear(keepingCapacity limit: Int = 64 * 1024) {
        readerIndex = 0
        writerIndex = 0
        if capacity > limit {
            free(base)
            base = nil
            capacity = 0
        }
    }

    public var bytes: [UInt8] { Array(UnsafeRawBufferPointer(readable)) }
}
