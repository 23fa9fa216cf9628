#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ChatServer
import ChatStorage
import Posix

/// `switchboard verify --data-dir DIR`: recomputes the hash chain of every transcript
/// record (protocol/storage.md, "Tamper evidence"). Exit 0: intact; 1: broken (the
/// first broken record is named: segment file, offset, conversation, seq); 2: usage
/// (no directory, unreadable).
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain of every stored transcript record.",
        discussion: """
        Reads the segment files in DIR/transcripts (or DIR itself when it holds them) and recomputes \
        each record's SHA-256 link. Exit status 0: intact; 1: broken, with the first broken record \
        named; 2: usage. Safe beside a running broker.
        """
    )

    @Option(help: "The broker's data directory (serve --data-dir).")
    var dataDir: String?

    mutating func run() throws {
        guard let dataDir else { throw UsageError("verify: --data-dir DIR is required") }
        let directory = try TranscriptDirectory.find(dataDir)
        let report: ChainReport
        do {
            report = try ChainVerifier.verify(directory: directory)
        } catch {
            throw UsageError("verify: cannot read \(directory): \(error)")
        }
        if !report.unchained.isEmpty {
            print("segments \(report.unchained.map(String.init).joined(separator: ", ")) predate the hash chain (format 1 or 2): read, not verifiable")
        }
        if let start = report.chainStart {
            print("the chain starts at segment \(start): older segments were removed by retention")
        }
        if let torn = report.tornTail { print("note: \(torn)") }
        if let broken = report.firstBreak {
            print("BROKEN: \(broken)")
            print("\(report.verified) record(s) before it verified")
            throw ExitCode(1)
        }
        print("ok: \(report.verified) record(s) in \(report.segments) segment(s) verified; chain head \(report.head.hex)")
    }
}

/// A usage problem of the record commands: exit status 2, like `cmp` and `diff`.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}

enum TranscriptDirectory {
    /// DIR/transcripts when it exists, else DIR when it holds segments.
    static func find(_ dataDir: String) throws -> String {
        var info = stat()
        if stat(dataDir + "/transcripts", &info) == 0 { return dataDir + "/transcripts" }
        guard stat(dataDir, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw UsageError("no data directory at \(dataDir)")
        }
        return dataDir
    }
}
