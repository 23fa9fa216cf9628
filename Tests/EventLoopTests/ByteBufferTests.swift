import ByteBuffers
import Testing

/// The growable buffer: contents in order, stable storage while there is room,
/// compaction before growth, and large storage given back on clear.
@Suite struct ByteBufferTests {
    static func pattern(_ count: Int, from start: Int = 0) -> [UInt8] {
        (start..<(start + count)).map { UInt8(truncatingIfNeeded: $0) }
    }

    @Test func aNewBufferIsEmptyAndHoldsNoStorage() {
        let buffer = ByteBuffer()
        #expect(buffer.isEmpty)
        #expect(buffer.count == 0)
        #expect(buffer.capacity == 0)
        #expect(buffer.base == nil)
        #expect(buffer.readable.count == 0)
        #expect(buffer.bytes == [])
    }

    @Test func anInitialCapacityIsReservedUpFront() {
        let buffer = ByteBuffer(capacity: 100)
        #expect(buffer.capacity >= 100)
        #expect(buffer.base != nil)
        #expect(buffer.isEmpty)
    }

    @Test func appendKeepsBytesInOrder() {
        let buffer = ByteBuffer()
        buffer.append([1, 2, 3])
        buffer.append([4, 5])
        #expect(buffer.bytes == [1, 2, 3, 4, 5])
        #expect(buffer.count == 5)
        #expect(!buffer.isEmpty)
    }

    @Test func appendingNothingAllocatesNothing() {
        let buffer = ByteBuffer()
        buffer.append([])
        #expect(buffer.capacity == 0)
        #expect(buffer.base == nil)
    }

    @Test func growsToFitLargeAppendsAndKeepsTheContents() {
        let buffer = ByteBuffer()
        buffer.append(Self.pattern(10))
        buffer.append(Self.pattern(100_000, from: 10))
        #expect(buffer.capacity >= 100_010)
        #expect(buffer.bytes == Self.pattern(100_010))
    }

    @Test func storageStaysPutWhileThereIsRoom() {
        let buffer = ByteBuffer(capacity: 256)
        let base = buffer.base
        for chunk in 0..<16 { buffer.append(Self.pattern(16, from: chunk * 16)) }
        #expect(buffer.base == base)
        #expect(buffer.bytes == Self.pattern(256))
    }

    @Test func reserveMakesRoomWithoutChangingTheContents() {
        let buffer = ByteBuffer()
        buffer.append([7, 8, 9])
        buffer.reserve(1000)
        #expect(buffer.capacity - buffer.writerIndex >= 1000)
        #expect(buffer.bytes == [7, 8, 9])
        let base = buffer.base
        buffer.append(Self.pattern(1000))
        #expect(buffer.base == base, "the reserved room was used without reallocating")
    }

    @Test func moveReaderIndexConsumesFromTheFront() {
        let buffer = ByteBuffer()
        buffer.append([1, 2, 3, 4, 5])
        buffer.moveReaderIndex(by: 2)
        #expect(buffer.bytes == [3, 4, 5])
        #expect(buffer.count == 3)
        #expect(buffer.readable.baseAddress == buffer.base.map { $0 + 2 })
    }

    @Test func consumingEverythingRewindsBothIndices() {
        let buffer = ByteBuffer()
        buffer.append([1, 2, 3])
        buffer.moveReaderIndex(by: 1)
        buffer.moveReaderIndex(by: 2)
        #expect(buffer.isEmpty)
        #expect(buffer.readerIndex == 0)
        #expect(buffer.writerIndex == 0)
    }

    @Test func compactsConsumedBytesInsteadOfGrowingWhenThatMakesRoom() {
        let buffer = ByteBuffer(capacity: 64)
        let capacity = buffer.capacity
        buffer.append(Self.pattern(capacity - 4))
        buffer.moveReaderIndex(by: capacity - 14)  // 10 bytes stay
        buffer.append(Self.pattern(40, from: 100))
        #expect(buffer.capacity == capacity)
        #expect(buffer.readerIndex == 0)
        #expect(buffer.bytes == Self.pattern(10, from: capacity - 14) + Self.pattern(40, from: 100))
    }

    @Test func compactsAndGrowsWhenCompactingIsNotEnough() {
        let buffer = ByteBuffer(capacity: 64)
        let capacity = buffer.capacity
        buffer.append(Self.pattern(capacity))
        buffer.moveReaderIndex(by: 4)
        buffer.append(Self.pattern(200, from: 50))
        #expect(buffer.capacity >= capacity - 4 + 200)
        #expect(buffer.bytes == Self.pattern(capacity - 4, from: 4) + Self.pattern(200, from: 50))
    }

    @Test func appendUninitializedHandsOutTheRegionAtTheEnd() {
        let buffer = ByteBuffer()
        buffer.append([1, 2])
        let region = buffer.appendUninitialized(3)
        #expect(region.count == 3)
        region.copyBytes(from: [7, 8, 9])
        #expect(buffer.bytes == [1, 2, 7, 8, 9])
    }

    @Test func removeLastDropsBytesFromTheEndAndStopsAtEmpty() {
        let buffer = ByteBuffer()
        buffer.append([1, 2, 3, 4])
        buffer.removeLast(1)
        #expect(buffer.bytes == [1, 2, 3])
        buffer.moveReaderIndex(by: 1)
        buffer.removeLast(10)
        #expect(buffer.isEmpty)
        #expect(buffer.count == 0)
    }

    @Test func clearKeepsSmallStorageForReuse() {
        let buffer = ByteBuffer(capacity: 1024)
        buffer.append(Self.pattern(500))
        let base = buffer.base
        buffer.clear()
        #expect(buffer.isEmpty)
        #expect(buffer.base == base)
        #expect(buffer.capacity >= 1024)
    }

    @Test func clearReleasesStorageThatGrewPastTheLimit() {
        let buffer = ByteBuffer()
        buffer.append(Self.pattern(200_000))
        buffer.clear()
        #expect(buffer.isEmpty)
        #expect(buffer.capacity == 0)
        #expect(buffer.base == nil)
        buffer.append([1, 2, 3])
        #expect(buffer.bytes == [1, 2, 3], "the buffer stays usable")
    }

    @Test func clearHonoursACustomLimit() {
        let buffer = ByteBuffer(capacity: 1024)
        buffer.clear(keepingCapacity: 2048)
        #expect(buffer.capacity >= 1024)
        buffer.clear(keepingCapacity: 512)
        #expect(buffer.capacity == 0)
        #expect(buffer.base == nil)
    }

    @Test func clearRewindsIndicesEvenWhenKeepingStorage() {
        let buffer = ByteBuffer(capacity: 128)
        buffer.append(Self.pattern(50))
        buffer.moveReaderIndex(by: 20)
        buffer.clear()
        #expect(buffer.readerIndex == 0)
        #expect(buffer.writerIndex == 0)
        buffer.append([9])
        #expect(buffer.bytes == [9])
    }
}
