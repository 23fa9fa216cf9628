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

/// `switchboard verify-export FILE --data-dir DIR`: shows that a transcript export
/// (JSON, text or HTML, as the read-back endpoints serve it) matches the store: the
/// chain verifies, the export's head is the stored record's link, and the export is
/// byte for byte what the verified records render to. Exit 0: matches; 1: does not;
/// 2: usage (no file, no directory, not an export with a chain head).
struct VerifyExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export",
        abstract: "Check a customer's exported transcript against the stored, hash-chained records."
    )

    @Argument(help: "The export: transcript-c-B-N.txt, .html, or the JSON.")
    var file: String

    @Option(help: "The broker's data directory (serve --data-dir).")
    var dataDir: String?

    mutating func run() throws {
        guard let dataDir else { throw UsageError("verify-export: --data-dir DIR is required") }
        let directory = try TranscriptDirectory.find(dataDir)
        let bytes: [UInt8]
        do {
            bytes = try File.readWhole(file, limit: 64 << 20)
        } catch {
            throw UsageError("verify-export: cannot read \(file): \(error)")
        }
        switch ExportVerifier.verify(export: bytes, directory: directory) {
        case .matches(let conversation, let seq, let records):
            print("ok: \(file) is conversation \(conversation) up to seq \(seq) as stored (\(records) record(s), chain verified)")
        case .mismatch(let why):
            print("MISMATCH: \(file): \(why)")
            throw ExitCode(1)
        case .unreadable(let why):
            throw UsageError("verify-export: \(file): \(why)")
        }
    }
}

/// `switchboard hold c-B-N [--release] --data-dir DIR`: puts a conversation under legal
/// hold (or releases it): retention purges no segment holding its records while held
/// (protocol/storage.md, "Retention"). Works with the broker running (it re-reads the
/// list within a second) or stopped. Exit 0: done; 2: usage.
struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Put a conversation under legal hold (retention keeps it), or release it."
    )

    @Argument(help: "The conversation's id, c-BOOT-N.")
    var conversation: String

    @Flag(help: "Release the hold instead.")
    var release = false

    @Option(help: "The broker's data directory (serve --data-dir).")
    var dataDir: String?

    mutating func run() throws {
        guard let dataDir else { throw UsageError("hold: --data-dir DIR is required") }
        guard let key = LegalHolds.key(conversation) else { throw UsageError("hold: '\(conversation)' is not a conversation id (c-BOOT-N)") }
        let directory = try TranscriptDirectory.find(dataDir)
        let holds: Set<TranscriptKey>
        do {
            holds = try LegalHolds.set(key, held: !release, directory: directory)
        } catch {
            throw UsageError("hold: cannot write \(directory)/\(LegalHolds.fileName): \(error)")
        }
        print("\(conversation) \(release ? "released" : "held"); \(holds.count) conversation(s) under hold: "
              + holds.map(LegalHolds.wire).sorted().joined(separator: ", "))
    }
}
