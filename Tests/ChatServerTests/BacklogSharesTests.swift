import Testing
@testable import ChatServer

/// Hardening issue, item 7: four fast agents filled the shared store queue and every
/// other customer's sends were refused.
struct BacklogSharesTests {
    let limit: UInt64 = 1_000

    @Test func everyoneIsTakenBelowHalfTheLimit() {
        var shares = BacklogShares<String>()
        shares.recorded("agent", end: 400, bytes: 400)
        #expect(shares.admits("agent", pending: 400, limit: limit))
        #expect(shares.admits("customer", pending: 400, limit: limit))
    }

    @Test func aboveHalfTheHeavySendersWaitAndTheLightOnesAreHeard() {
        var shares = BacklogShares<String>()
        var end: UInt64 = 0
        for agent in ["a1", "a2", "a3", "a4"] {
            end += 150
            shares.recorded(agent, end: end, bytes: 150)
        }
        end += 10
        shares.recorded("customer", end: end, bytes: 10)
        // 610 pending of 1,000: each of five senders may hold 100 of the upper half.
        #expect(!shares.admits("a1", pending: end, limit: limit))
        #expect(shares.admits("customer", pending: end, limit: limit))
        #expect(shares.admits("newcomer", pending: end, limit: limit))
    }

    @Test func atTheLimitNobodyIsTaken() {
        let shares = BacklogShares<String>()
        #expect(!shares.admits("customer", pending: limit, limit: limit))
    }

    @Test func writtenRecordsNoLongerCount() {
        var shares = BacklogShares<String>()
        shares.recorded("a", end: 100, bytes: 100)
        shares.recorded("b", end: 150, bytes: 50)
        shares.recorded("a", end: 250, bytes: 100)
        shares.written(upTo: 150)
        #expect(shares.pending(of: "a") == 100)
        #expect(shares.pending(of: "b") == 0)
        #expect(shares.senders == 1)
        shares.written(upTo: 250)
        #expect(shares.senders == 0)
    }
}
