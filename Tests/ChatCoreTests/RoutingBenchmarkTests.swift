import Testing
import ChatCore

struct RoutingBenchmarkTests {
    @Test func benchmarkRunsAndKeepsTheLineFull() {
        let result = RoutingBenchmark.run(agents: 50, waiting: 200, decisions: 2_000)
        #expect(result.decisions >= 2_000)
        #expect(result.waiting == 200)
    }
}
