#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ChatServer

@main
struct Switchboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A real-time customer-service chat broker over WebSocket.",
        version: BuildInfo.version,
        subcommands: [Serve.self, Echo.self, HashSecret.self, Verify.self, VerifyExport.self, Hold.self],
        defaultSubcommand: Serve.self
    )

    /// The record commands (`verify`) promise exit status 2 for any usage problem,
    /// since 1 means "the records are broken" to the scripts that call them.
    static func main() {
        let recordCommand = ["verify", "verify-export", "hold"].contains(CommandLine.arguments.dropFirst().first ?? "")
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UsageError {
            printError("switchboard \(error.description)")
            Glibc.exit(2)
        } catch {
            if recordCommand && exitCode(for: error) != .success && !(error is ExitCode) {
                printError(fullMessage(for: error))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}
