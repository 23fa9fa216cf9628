#if canImport(Glibc)
import Glibc
#endif
import Synchronization
@testable import ChatStorage
import Posix

/// A fresh directory under /tmp for one test, removed with its files afterwards.
final class TestDirectory {
    let path: String

    init() {
        var template = Array("/tmp/switchboard-storage-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit {
        for name in (try? File.list(path)) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }

    var segments: [String] { ((try? File.list(path)) ?? []).filter { $0.hasSuffix(".seg") }.sorted() }

    func bytes(of name: String) -> [UInt8] {
        let fd = try! File.open(path + "/" + name)  // the test just listed it
        defer { File.close(fd) }
        return try! File.read(fd, count: Int(try! File.size(fd)), at: 0)
    }

    func write(_ bytes: [UInt8], to name: String) {
        unlink(path + "/" + name)
        let fd = try! File.open(path + "/" + name, write: true, create: true)
        defer { File.close(fd) }
        try! File.write(fd, bytes, at: 0)
    }
}

/// The writer's reports as a test sees them: the latest, behind a lock.
final class ProgressBox: Sendable {
    let latest = Mutex(SpillProgress())

    var report: @Sendable (SpillProgress) -> Void { { p in self.latest.withLock { if p.version > $0.version { $0 = p } } } }

    /// Waits (up to 5 s) until the log has written `position`, then tells the log.
    func wait(for log: TranscriptLog, written position: UInt64) {
        for _ in 0..<500 {
            let p = latest.withLock { $0 }
            if p.written >= position && p.synced >= position {
                log.progressed(p)
                return
            }
            usleep(10_000)
        }
        log.progressed(latest.withLock { $0 })
    }
}

func payload(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Wall-clock milliseconds now: record timestamps in tests must be recent, or age
/// retention (90 days by default) removes their segments.
let now = WakeCondition.wallMilliseconds()
