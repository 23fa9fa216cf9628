import ByteBuffers
import ByteTransport

/// One connection's bytes that the kernel has not taken yet, and what their amount
/// means (habit 3: every buffer has a limit). Past the soft limit the connection stops
/// reading (backpressure) until the queue drains below half of it; past the hard limit
/// the connection is dropped; bytes that wait with no write progress for the send
/// timeout mean a peer that does not read. The I/O stays with the caller.
///
/// Owned by one connection on its loop's thread, for the connection's life. It holds
/// no buffer until bytes have to wait (an idle connection keeps none), and gives a
/// buffer that grew past 64 KiB back once drained. A class, not a struct held by the
/// connection: each access here is then a short one with no call inside, which the
/// compiler checks statically; a struct's mutating methods calling into the buffer
/// made every access to it a runtime exclusivity check (measured: +550 instructions
/// per echoed message).
package final class OutboundQueue {
    package struct Limits: Sendable {
        /// Above this many unsent bytes, reading pauses.
        package var soft: Int
        /// Above this many, the connection is dropped.
        package var hard: Int

        package init(soft: Int, hard: Int) {
            self.soft = soft
            self.hard = hard
        }
    }

    package let limits: Limits
    // Private storage behind package getters: the compiler sees every access.
    private var storage: ByteBuffer?
    private var paused = false
    private var since: UInt64 = 0
    /// `count` as last handed out by `takeCountChange`.
    private var reported = 0

    /// The waiting bytes, in order (nil until bytes first had to wait).
    @inline(__always) package var buffer: ByteBuffer? { storage }
    /// Reading is paused: the queue passed the soft limit and has not drained to half.
    @inline(__always) package var readingPaused: Bool { paused }
    /// When the oldest waiting byte was queued, or the last write progress since then.
    package var waitingSince: UInt64 { since }

    package init(limits: Limits) {
        self.limits = limits
    }

    @inline(__always) package var count: Int { storage?.count ?? 0 }
    @inline(__always) package var isEmpty: Bool { storage?.isEmpty ?? true }
    @inline(__always) package var isOverHardLimit: Bool { count > limits.hard }

    /// What a send whose bytes were just queued means for its caller.
    @inline(__always)
    package var sendResult: SendResult {
        paused || count > limits.soft ? .backpressured : .queued
    }

    // MARK: Adding bytes

    /// The buffer to append to, created on first use. The send timeout counts from the
    /// first waiting byte: counting from the last write instead dropped idle connections
    /// the moment their ping was queued (the silence was already "no progress").
    @inline(__always)
    package func appendTarget(now: UInt64) -> ByteBuffer {
        if isEmpty { since = now }
        if let storage { return storage }
        let created = ByteBuffer()
        storage = created
        return created
    }

    /// Keeps the bytes the kernel did not take from a write that bypassed the queue
    /// (the loop's cork), behind any already waiting.
    package func keep(_ rest: UnsafeRawBufferPointer, now: UInt64) {
        if isEmpty { since = now }
        if let storage {
            storage.append(rest)
        } else {
            let created = ByteBuffer(capacity: rest.count)
            created.append(rest)
            storage = created
        }
    }

    // MARK: Writing out

    /// A write took some bytes: the peer is reading.
    @inline(__always)
    package func noteProgress(now: UInt64) {
        since = now
    }

    /// The first `sent` bytes of `buffer.readable` went out.
    package func consume(_ sent: Int, now: UInt64) {
        guard sent > 0, let storage else { return }
        storage.moveReaderIndex(by: sent)
        since = now
    }

    /// Decides backpressure after bytes went out (or did not): pause past the soft
    /// limit, resume below half of it (so that reading does not flap at the limit) or
    /// when empty. A drained buffer that grew large is released.
    package func updateBackpressure() {
        let pending = count
        if pending == 0 {
            if let storage, storage.capacity > 64 * 1024 { storage.clear() }
            paused = false
        } else if pending > limits.soft {
            paused = true
        } else if pending < limits.soft / 2 {
            paused = false
        }
    }

    /// Bytes waiting with no write progress for longer than `timeout` nanoseconds.
    package func hasStalled(now: UInt64, timeout: UInt64) -> Bool {
        !isEmpty && now &- since > timeout
    }

    /// How much `count` changed since the last call: for a total kept across
    /// connections (`QueuedOutput`).
    package func takeCountChange() -> Int {
        let change = count - reported
        reported = count
        return change
    }

    /// The connection is gone: the bytes are dropped (`takeCountChange` then reports
    /// them as gone).
    package func discard() {
        storage = nil
        paused = false
    }
}
