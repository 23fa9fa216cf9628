import ArgumentParser
import ChatServer
import ChatStorage
import Posix

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
