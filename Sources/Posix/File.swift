#if canImport(Glibc)
import Glibc
#endif

/// Blocking file I/O for the transcript store (segment files under the data directory):
/// the same errno policy as sockets (`syscall`), EINTR retried, short writes finished.
/// Stateless; call from the thread that owns the fd (the spill writer, or the domain
/// thread for reads).
public enum File {
    /// Opens `path`; `create` makes it (mode 0640) if missing, `write` opens read-write.
    public static func open(_ path: String, write: Bool = false, create: Bool = false) throws(PosixError) -> Int32 {
        var flags = (write ? O_RDWR : O_RDONLY) | O_CLOEXEC
        if create { flags |= O_CREAT }
        return try blockingSyscall("open") { Glibc.open(path, flags, 0o640) }
    }

    public static func close(_ fd: Int32) {
        // close(2) may report a deferred write error, which fsync already caught for us.
        _ = Glibc.close(fd)
    }

    /// Writes all of `bytes` at `offset` (pwrite loops over short writes).
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(PosixError) {
        var done = 0
        while done < bytes.count {
            let n = try blockingSyscall("pwrite") {
                pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset`.
    public static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int64) throws(PosixError) {
        var failure: PosixError?
        bytes.withUnsafeBytes { raw in
            do throws(PosixError) { try write(fd, raw, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    public static func read(_ fd: Int32, count: Int, at offset: Int64) throws(PosixError) -> [UInt8] {
        var failure: PosixError?
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { raw -> Int in
            do throws(PosixError) { return try read(fd, into: raw, at: offset) } catch { failure = error; return 0 }
        }
        if let failure { throw failure }
        bytes.removeLast(count - got)
        return bytes
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(PosixError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = try blockingSyscall("pread") {
                pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Data (not necessarily metadata) on stable storage.
    public static func syncData(_ fd: Int32) throws(PosixError) {
        try blockingSyscall("fdatasync") { fdatasync(fd) }
    }

    /// Everything, metadata included (a directory after creating or removing files).
    public static func sync(_ fd: Int32) throws(PosixError) {
        try blockingSyscall("fsync") { fsync(fd) }
    }

    public static func truncate(_ fd: Int32, to length: Int64) throws(PosixError) {
        try blockingSyscall("ftruncate") { ftruncate(fd, off_t(length)) }
    }

    public static func size(_ fd: Int32) throws(PosixError) -> Int64 {
        Int64(try blockingSyscall("lseek") { lseek(fd, 0, SEEK_END) })
    }

    public static func remove(_ path: String) throws(PosixError) {
        try blockingSyscall("unlink") { unlink(path) }
    }

    /// Renames atomically (within one file system).
    public static func rename(_ from: String, to: String) throws(PosixError) {
        try blockingSyscall("rename") { Glibc.rename(from, to) }
    }

    /// Makes a directory; an existing one is fine.
    public static func makeDirectory(_ path: String) throws(PosixError) {
        if mkdir(path, 0o750) != 0 {
            let err = errno
            if err != EEXIST { throw PosixError(errno: err, function: "mkdir") }
        }
    }

    /// The names in a directory, without "." and "..".
    public static func list(_ path: String) throws(PosixError) -> [String] {
        guard let dir = opendir(path) else { throw PosixError(errno: errno, function: "opendir") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Reads everything `path` holds, from its start to its end: a regular file or a
    /// pipe (`--config <(…)`), read sequentially. A directory is refused with EISDIR
    /// (open(2) would take it and read(2) fail only later, which a reader that stops at
    /// the first short read mistakes for an empty file); more than `limit` bytes, EFBIG.
    /// For start-up reads (the configuration file), on the calling thread.
    public static func readWhole(_ path: String, limit: Int) throws(PosixError) -> [UInt8] {
        let fd = try open(path)
        defer { close(fd) }
        var status = stat()
        _ = try blockingSyscall("fstat") { fstat(fd, &status) }
        if status.st_mode & S_IFMT == S_IFDIR { throw PosixError(errno: EISDIR, function: "read") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var failure: PosixError?
            let n = chunk.withUnsafeMutableBytes { raw -> Int in
                do throws(PosixError) {
                    return try blockingSyscall("read") { Glibc.read(fd, raw.baseAddress!, raw.count) }
                } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
            if bytes.count > limit { throw PosixError(errno: EFBIG, function: "read") }
        }
    }

    /// Writes `bytes` as the whole new content of `path` with `mode`, through a
    /// temporary file synced and renamed over it, so that a crash leaves the old file
    /// or the new one, never half of one. For small start-up files.
    public static func replaceWhole(_ path: String, with bytes: [UInt8], mode: mode_t) throws(PosixError) {
        let temporary = path + ".tmp"
        let fd = try blockingSyscall("open") { Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        do throws(PosixError) {
            try write(fd, bytes, at: 0)
            try sync(fd)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        _ = try blockingSyscall("rename") { Glibc.rename(temporary, path) }
    }

    /// ENOSPC and EDQUOT: the disk (or the quota) is full.
    public static func isDiskFull(_ error: PosixError) -> Bool { error.errno == ENOSPC || error.errno == EDQUOT }
    public static func isMissing(_ error: PosixError) -> Bool { error.errno == ENOENT }
}
