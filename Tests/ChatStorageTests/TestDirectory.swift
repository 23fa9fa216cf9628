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

/// A small tmpfs mounted on a fresh directory, for tests of a really full disk (not a
/// simulated error). Mounting needs root; `Tmpfs.available` says whether it works here.
final class Tmpfs {
    let directory = TestDirectory()
    var path: String { directory.path }
    let mounted: Bool

    init(bytes: Int) {
        mounted = mount("tmpfs", directory.path, "tmpfs", 0, "size=\(bytes)") == 0
    }

    deinit {
        if mounted { umount2(directory.path, Int32(MNT_DETACH)) }
    }

    /// True where this process may mount a tmpfs (tried once).
    static let available: Bool = Tmpfs(bytes: 4096).mounted

    /// A file taking all but about `leave` bytes of the free space.
    func fill(leaving leave: Int) {
        var stats = statvfs()
        statvfs(path, &stats)
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        let fd = open(path + "/filler", O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 4096)
        var left = max(0, free - leave)
        while left > 0, block.withUnsafeBytes({ write(fd, $0.baseAddress, min(left, 4096)) }) > 0 { left -= 4096 }
    }

    func free() { unlink(path + "/filler") }
}
