import ArgumentParser

@main
struct LoadTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-loadtest",
        abstract: "Load generator for Switchboard: plays many WebSocket clients against a running server.",
        discussion: "Loopback addresses only. Every run is bounded by --duration and stops by itself.",
        subcommands: [PrivacyBenchmark.self, TransportBenchmark.self, IdleMemory.self, RelayBenchmark.self, RoutingMicroBenchmark.self, ContactCenterBenchmark.self,
                      TranscriptBenchmark.self, RedisRelayBenchmark.self]
    )
}
