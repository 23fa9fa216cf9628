import ArgumentParser
import ChatStorage

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
