import ChatCore
import Testing
@testable import ChatServer

/// Hardening issue, item 3: a customer closed with 4008 resumed at once with its token
/// and got a fresh burst — 1,169 messages relayed in 0.12 s against a documented 20/s.
struct MessageBudgetsTests {
    let second: UInt64 = 1_000_000_000
    let first = ConnectionID(loop: 0, number: 1)
    let second_ = ConnectionID(loop: 1, number: 7)
    let session = MessageBudgets.Owner.session(token: "t")

    func budgets(perSecond: Int = 2, burst: Int = 3, perAddress: Int = 0) -> MessageBudgets {
        var limits = BrokerLimits()
        limits.maxMessagesPerSecond = perSecond
        limits.messageBurst = burst
        limits.maxMessagesPerSecondPerAddress = perAddress
        return MessageBudgets(limits: limits)
    }

    @Test func aSessionsBudgetIsNotRefilledByANewConnection() {
        var b = budgets()
        for _ in 0..<3 { #expect(b.admit(session, on: first, now: 0) == .allowed) }
        b.closed(first)
        #expect(b.admit(session, on: second_, now: 0) == .limited(retryAfterMs: 500))
    }

    @Test func aFatalRefusalSilencesTheConnectionAndFollowsTheSession() {
        var b = budgets()
        for _ in 0..<3 { _ = b.admit(session, on: first, now: 0) }
        _ = b.admit(session, on: first, now: 0)
        _ = b.admit(session, on: first, now: 0)
        #expect(b.admit(session, on: first, now: 0) == .exceeded(retryAfterMs: 10_000))
        #expect(b.isSilenced(first))
        b.closed(first)
        #expect(!b.isSilenced(first))
        #expect(b.penalty(of: session, on: second_, now: 2 * second) == 8_000)
        #expect(b.penalty(of: session, on: second_, now: 10 * second) == nil)
    }

    @Test func theConnectionsOwnFatalRefusalPunishesItsOwner() {
        var b = budgets()
        b.punish(session, now: 0)
        #expect(b.penalty(of: session, on: second_, now: second) == 9_000)
        #expect(b.penalty(of: .agent(AgentID(1)), on: second_, now: second) == nil)
    }

    @Test func sessionsFromOneAddressShareItsBudgetWithoutBeingClosed() {
        var b = budgets(perSecond: 100, burst: 100, perAddress: 1)
        b.arrived(first, address: "192.0.2.1")
        b.arrived(second_, address: "192.0.2.1")
        #expect(b.admit(.session(token: "a"), on: first, now: 0) == .allowed)
        #expect(b.admit(.session(token: "b"), on: second_, now: 0) == .allowed)
        for _ in 0..<5 { #expect(b.admit(.session(token: "b"), on: second_, now: 0) == .limited(retryAfterMs: 1000)) }
        #expect(!b.isSilenced(second_))
    }

    @Test func withoutAnAddressLimitAddressesAreNotKept() {
        var b = budgets(perSecond: 100, burst: 100)
        b.arrived(first, address: "192.0.2.1")
        for _ in 0..<50 { #expect(b.admit(nil, on: first, now: 0) == .allowed) }
        #expect(b.count == 0)
    }

    @Test func restedBudgetsAreForgotten() {
        var b = budgets()
        _ = b.admit(session, on: first, now: 0)
        b.forgetRested(now: 11 * second)
        #expect(b.count == 0)
    }
}
