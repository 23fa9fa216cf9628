import ByteBuffers
import ByteTransport
import Testing
import WebSocketServer

/// A connection's queue of unsent bytes on its own: when it holds a buffer, what a
/// send is told, when reading pauses and resumes, the hard limit, the send timeout's
/// clock, and the count it reports to the server's total.
@Suite struct OutboundQueueTests {
    static let limits = OutboundQueue.Limits(soft: 1000, hard: 5000)

    static func queue(holding count: Int, now: UInt64 = 0) -> OutboundQueue {
        let queue = OutboundQueue(limits: limits)
        let bytes = [UInt8](repeating: 1, count: count)
        bytes.withUnsafeBytes { queue.appendTarget(now: now).append($0) }
        return queue
    }

    @Test func emptyQueueHoldsNoBufferAndSendsAreQueued() {
        let queue = OutboundQueue(limits: Self.limits)
        #expect(queue.buffer == nil)
        #expect(queue.isEmpty && queue.count == 0)
        #expect(queue.sendResult == .queued)
        #expect(!queue.hasStalled(now: .max, timeout: 1))
    }

    @Test func keptBytesWaitBehindQueuedOnesInOrder() {
        let queue = OutboundQueue(limits: Self.limits)
        [UInt8]([1, 2]).withUnsafeBytes { queue.keep($0, now: 5) }
        [UInt8]([3]).withUnsafeBytes { queue.appendTarget(now: 6).append($0) }
        #expect(queue.buffer?.bytes == [1, 2, 3])
        queue.consume(2, now: 7)
        #expect(queue.buffer?.bytes == [3])
    }

    @Test func passingTheSoftLimitPausesReadingUntilTheQueueIsUnderHalfOfIt() {
        let queue = Self.queue(holding: 1001)
        #expect(queue.sendResult == .backpressured)
        queue.updateBackpressure()
        #expect(queue.readingPaused)
        // Between half and the soft limit: still paused (no flapping at the limit).
        queue.consume(300, now: 1)
        queue.updateBackpressure()
        #expect(queue.readingPaused && queue.count == 701)
        #expect(queue.sendResult == .backpressured)
        queue.consume(202, now: 2)
        queue.updateBackpressure()
        #expect(!queue.readingPaused && queue.count == 499)
        #expect(queue.sendResult == .queued)
    }

    @Test func atTheSoftLimitReadingGoesOn() {
        let queue = Self.queue(holding: 1000)
        queue.updateBackpressure()
        #expect(!queue.readingPaused)
        #expect(queue.sendResult == .queued)
    }

    @Test func drainedQueueResumesReadingAndGivesBackALargeBuffer() {
        let queue = Self.queue(holding: 100 * 1024)
        queue.updateBackpressure()
        #expect(queue.readingPaused)
        queue.consume(100 * 1024, now: 1)
        queue.updateBackpressure()
        #expect(!queue.readingPaused && queue.isEmpty)
        #expect((queue.buffer?.capacity ?? 0) <= 64 * 1024)
    }

    @Test func onlyPastTheHardLimitIsTheConnectionToBeDropped() {
        #expect(!Self.queue(holding: 5000).isOverHardLimit)
        #expect(Self.queue(holding: 5001).isOverHardLimit)
    }

    @Test func sendTimeoutCountsFromTheFirstWaitingByteAndRestartsOnProgress() {
        let queue = Self.queue(holding: 10, now: 100)
        // A second append while bytes wait does not restart the clock.
        [UInt8]([1]).withUnsafeBytes { queue.appendTarget(now: 150).append($0) }
        #expect(!queue.hasStalled(now: 130, timeout: 30))
        #expect(queue.hasStalled(now: 131, timeout: 30))
        queue.consume(1, now: 140)
        #expect(!queue.hasStalled(now: 170, timeout: 30))
        #expect(queue.hasStalled(now: 171, timeout: 30))
    }

    @Test func countChangesAreReportedOnceAndTheDiscardedBytesAsGone() {
        let queue = Self.queue(holding: 300)
        #expect(queue.takeCountChange() == 300)
        #expect(queue.takeCountChange() == 0)
        queue.consume(100, now: 1)
        #expect(queue.takeCountChange() == -100)
        queue.discard()
        #expect(queue.takeCountChange() == -200)
        #expect(queue.buffer == nil && !queue.readingPaused)
    }
}
