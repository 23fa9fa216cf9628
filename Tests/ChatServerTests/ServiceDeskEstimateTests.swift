import Testing
@testable import ChatServer

/// When a changed estimate is worth a `place_in_line` push (protocol/README.md,
/// "Estimated wait"): by at least 2 s and 10%.
struct ServiceDeskEstimateTests {
    @Test func aFirstEstimateIsNewsAndAMissingOneIsNot() {
        #expect(ServiceDesk.isNews(30_000, after: nil))
        #expect(!ServiceDesk.isNews(nil, after: 30_000))
        #expect(!ServiceDesk.isNews(nil, after: nil))
    }

    @Test func smallChangesAreNotPushed() {
        #expect(!ServiceDesk.isNews(31_000, after: 30_000))  // 1 s
        #expect(!ServiceDesk.isNews(302_000, after: 300_000))  // 2 s but under 10%
        #expect(ServiceDesk.isNews(33_000, after: 30_000))  // 3 s and 10%
        #expect(ServiceDesk.isNews(0, after: 2_000))
        #expect(!ServiceDesk.isNews(1_000, after: 0))  // under 2 s
        #expect(ServiceDesk.isNews(270_000, after: 300_000))  // down 30 s
    }
}
