#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ChatStorage
import Synchronization

/// `switchboard-loadtest transcripts`: the transcript store (`ChatStorage`) on its own,
/// no network: append throughput under an fsync interval and under `always`, recovery
/// time of a data directory of a given size, and the ring's memory with many
/// conversations. Figures only, not a test.
struct TranscriptBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcripts",
        abstract: "Transcript store: append throughput, recovery time, ring memory (no network).",
        discussion: """
        The benchmark plays the domain thread: it appends events of --payload bytes round-robin over --conversations \
        conversations, hands them to the spill writer every --batch events (one domain-loop iteration) and takes in \
        the writer's reports, waiting when the writer is --max-pending bytes behind (the broker's backpressure). \
        Throughput counts until the last event is synced. Recovery writes --recovery-mib MiB of segments, then times \
        opening the store (page cache warm: the files were just written). Files go to a fresh directory under --dir, \
        removed afterwards.
        """
    )

    @Option(help: "Events appended per throughput run.")
    var events = 1_000_000

    @Option(help: "Conversations the events are spread over.")
    var conversations = 10_000

    @Option(help: "Payload bytes per event (a chat message's JSON is about 200).")
    var payload = 200

    @Option(help: "Events per hand-over to the writer.")
    var batch = 256

    @Option(help: "The fsync interval of the interval run, ms.")
    var intervalMs = 5

    @Option(help: "Ring budget, MiB.")
    var ringMib = 64

    @Option(help: "Writer lag before appends wait, MiB.")
    var maxPendingMib = 16

    @Option(help: "Size of the data directory to recover, MiB (0: skip).")
    var recoveryMib = 1024

    @Option(help: "Where the scratch directory goes.")
    var dir = "/tmp"

    func validate() throws {
        guard events > 0, conversations > 0, payload >= 0, payload <= 1 << 20, batch > 0, intervalMs > 0, ringMib > 0,
              maxPendingMib > 0, recoveryMib >= 0 else {
            throw ValidationError("counts and sizes must be positive")
        }
    }

    func run() throws {
        let scratch = makeScratch()
        defer { removeTree(scratch) }
        print("transcripts: \(events) events of \(payload) bytes over \(conversations) conversations, hand-over every \(batch), "
              + "ring \(ringMib) MiB, max pending \(maxPendingMib) MiB, in \(scratch)")
        for policy in [FsyncPolicy.interval(milliseconds: intervalMs), .always] {
            let result = appendRun(policy: policy, directory: scratch + "/\(policy == .always ? "always" : "interval")")
            print(result)
        }
        if recoveryMib > 0 { print(recoveryRun(directory: scratch + "/recovery")) }
    }

    // MARK: Runs

    private func configuration(_ directory: String, _ policy: FsyncPolicy) -> StorageConfiguration {
        var c = StorageConfiguration(directory: directory)
        c.fsync = policy
        c.ringBytes = ringMib << 20
        c.maxPendingBytes = maxPendingMib << 20
        c.retentionBytes = Int64.max
        c.retentionSeconds = 0
        return c
    }

    private func appendRun(policy: FsyncPolicy, directory: String) -> String {
        let box = Reports()
        let log = TranscriptLog(configuration: configuration(directory, policy), report: box.report)
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: payload)
        let rssBefore = ProcessStats.residentBytes(pid: getpid()) ?? 0
        var ringPeak = 0
        var waits = 0
        let ts = WallClock.milliseconds()
        let start = WallClock.seconds()
        for i in 0..<events {
            let key = TranscriptKey(boot: 1, number: UInt64(i % conversations))
            // A payload of its own per event (as the broker's encoded JSON is), so the
            // ring's memory is real and not one shared buffer.
            var own = body
            if !own.isEmpty { own[0] = UInt8(truncatingIfNeeded: i) }
            log.append(key, seq: Int64(i / conversations) + 1, ts: ts, payload: own)
            if i % batch == batch - 1 {
                log.flush()
                log.progressed(box.latest)
                ringPeak = max(ringPeak, log.ring.bytes)
                while !log.isAccepting {
                    waits += 1
                    usleep(200)
                    log.progressed(box.latest)
                }
            }
        }
        log.flush()
        while box.latest.synced < log.appended { usleep(200) }
        let elapsed = WallClock.seconds() - start
        log.progressed(box.latest)
        let rss = ProcessStats.residentBytes(pid: getpid()) ?? 0
        let report = box.latest
        log.close()
        let mib = Double(log.appended) / 1_048_576
        return "append, fsync \(policy): \(format(Double(events) / elapsed, 0)) events/s (\(format(mib / elapsed, 1)) MiB/s, "
            + "\(events) events in \(format(elapsed, 2)) s), \(report.commits) group commits, \(report.syncs) fdatasyncs, "
            + "\(waits) backpressure waits; ring \(format(Double(log.ring.bytes) / 1_048_576, 1)) MiB at the end "
            + "(peak \(format(Double(ringPeak) / 1_048_576, 1)) MiB, budget \(ringMib) MiB, \(log.ring.conversationCount) conversations, "
            + "\(log.ring.entryCount) events), RSS +\(format(Double(rss - rssBefore) / 1_048_576, 1)) MiB (ring, index, buffers)"
    }

    private func recoveryRun(directory: String) -> String {
        let box = Reports()
        let body = [UInt8](repeating: UInt8(ascii: "r"), count: payload)
        var c = configuration(directory, .never)
        c.ringBytes = 1 << 20
        let log = TranscriptLog(configuration: c, report: box.report)
        let target = UInt64(recoveryMib) << 20
        let ts = WallClock.milliseconds()
        var i = 0
        while log.appended < target {
            log.append(TranscriptKey(boot: 1, number: UInt64(i % conversations)), seq: Int64(i / conversations) + 1, ts: ts, payload: body)
            i += 1
            if i % 4096 == 0 {
                log.flush()
                log.progressed(box.latest)
                while !log.isAccepting {
                    usleep(200)
                    log.progressed(box.latest)
                }
            }
        }
        log.close()
        let start = WallClock.seconds()
        let again = TranscriptLog(configuration: c, report: Reports().report)
        let elapsed = WallClock.seconds() - start
        let r = again.recovery
        again.close()
        return "recovery: \(r.segments) segments, \(format(Double(r.bytes) / 1_048_576, 0)) MiB, \(r.records) records, "
            + "\(again.index.conversationCount) conversations in \(format(elapsed, 2)) s "
            + "(\(format(Double(r.bytes) / 1_048_576 / elapsed, 0)) MiB/s; files just written, so from the page cache)"
    }

    // MARK: Helpers

    private func makeScratch() -> String {
        var template = Array((dir + "/switchboard-transcripts-XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    private func removeTree(_ path: String) {
        guard let d = opendir(path) else { return }
        var names: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(d)
        for name in names {
            let child = path + "/" + name
            if unlink(child) != 0 { removeTree(child) }
        }
        rmdir(path)
    }
}

/// The writer's latest report, as the benchmark's stand-in for the domain thread reads it.
private final class Reports: Sendable {
    private let value = Mutex(SpillProgress())
    var latest: SpillProgress { value.withLock { $0 } }
    var report: @Sendable (SpillProgress) -> Void { { p in self.value.withLock { if p.version > $0.version { $0 = p } } } }
}

private enum WallClock {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
