import Posix

/// Under the interval policy, syncs the active segment at most every interval on a
/// thread of its own (`spill-sync`), so that a slow fdatasync (a busy disk can take
/// hundreds of milliseconds) never delays the writes that acknowledgements wait for.
/// It syncs through its own read-only fd of the segment file: fdatasync applies to the
/// file, whichever fd names it.
///
/// Threads: `written` and `stop` are called by the spill writer; the rest runs on the
/// syncer's thread. The target is guarded by `wake`.
final class IntervalSyncer: @unchecked Sendable {
    private let wake = WakeCondition()
    // Guarded by `wake`.
    private var target: (segment: UInt64, position: UInt64)?
    private var stopping = false

    // Syncer thread only.
    private let directory: String
    private let interval: UInt64
    private let synced: @Sendable (_ position: UInt64, _ error: PosixError?) -> Void
    private var fd: Int32 = -1
    private var fdSegment: UInt64 = 0
    private var done: UInt64 = 0
    private var lastSync: UInt64 = 0
    private var thread: PosixThread?

    init(directory: String, milliseconds: Int, synced: @escaping @Sendable (UInt64, PosixError?) -> Void) {
        self.directory = directory
        interval = UInt64(milliseconds) * 1_000_000
        self.synced = synced
    }

    func start() throws(PosixError) {
        thread = try PosixThread(name: "spill-sync") { [self] in run() }
    }

    /// The writer wrote segment `segment` up to log position `position`.
    func written(segment: UInt64, position: UInt64) {
        wake.withLock {
            target = (segment, position)
            wake.signal()
        }
    }

    func stop() {
        wake.withLock {
            stopping = true
            wake.signal()
        }
        thread?.join()
        thread = nil
    }

    private func run() {
        while true {
            var ending = false
            wake.withLock {
                while !stopping && (target == nil || target!.position <= done) {
                    wake.wait(until: WakeCondition.monotonicNow() + 1_000_000_000)
                }
                ending = stopping
            }
            if ending { break }
            let now = WakeCondition.monotonicNow()
            if lastSync + interval > now { usleepNanoseconds(lastSync + interval - now) }
            // Whatever was written while this thread slept is covered by the same sync.
            guard let (segment, position) = wake.withLock({ target }) else { continue }
            do {
                if fd < 0 || fdSegment != segment {
                    if fd >= 0 { File.close(fd) }
                    fd = -1
                    fd = try File.open(SpillWriter.path(directory, segment: segment))
                    fdSegment = segment
                }
                try File.syncData(fd)
                lastSync = WakeCondition.monotonicNow()
                done = position
                synced(position, nil)
            } catch {
                synced(done, error)
                // Not in a tight loop: the writer reports and retries the disk.
                usleepNanoseconds(1_000_000_000)
                lastSync = WakeCondition.monotonicNow()
            }
        }
        if fd >= 0 { File.close(fd) }
    }

    private func usleepNanoseconds(_ ns: UInt64) {
        usleepMicroseconds(UInt32(min(ns / 1000, 1_000_000)))
    }
}
