import ArgumentParser
import ChatServer

@main
struct Switchboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A real-time customer-service chat broker over WebSocket.",
        version: BuildInfo.version,
        subcommands: [Serve.self, Echo.self, HashSecret.self],
        defaultSubcommand: Serve.self
    )
}
