import Testing
@testable import ChatServer

/// The sign-in line's policy (SignInQueue.swift), on an injected clock. The attack it
/// answers (issue 15, item 4): 600 wrong Basic sign-ins spread over 30 addresses, each
/// within its 20 failures a minute, delayed a correct agent sign-in by 19–50 s, and
/// the hashes of requests that had already timed out still ran.
struct SignInQueueTests {
    /// A queued sign-in in a test: a name, and whether its client has gone.
    final class Work: SignInWork {
        let name: String
        var isAbandoned = false
        init(_ name: String) { self.name = name }
    }

    let second: UInt64 = 1_000_000_000

    func queue(capacity: Int = 16, limit: Int = 20) -> SignInQueue<Work> {
        SignInQueue(capacity: capacity, throttle: SignInThrottle(limit: limit))
    }

    /// Offers `count` sign-ins from each of `addresses` attacker addresses (10.0.0.1 …).
    func flood(_ queue: inout SignInQueue<Work>, addresses: Int, count: Int, now: UInt64) -> [SignInQueue<Work>.Admission] {
        var admissions: [SignInQueue<Work>.Admission] = []
        for n in 0..<count {
            for a in 1...addresses {
                admissions.append(queue.admit(Work("flood \(a).\(n)"), from: "10.0.0.\(a)", account: "minji.park",
                                              now: now, deadline: now + 5 * second))
            }
        }
        return admissions
    }

    func hashedName(_ turn: SignInQueue<Work>.Turn?) -> String? {
        guard case .hash(let work, _, _) = turn else { return nil }
        return work.name
    }

    /// 600 wrong sign-ins over 30 addresses: 16 wait, the other 584 are told at once to
    /// come back in a second, instead of lining up for 19–50 s of hashing.
    @Test func aFullLineRefusesAtOnceInsteadOfGrowing() {
        var q = queue(capacity: 16)
        let admissions = flood(&q, addresses: 30, count: 20, now: 0)
        #expect(admissions.filter { $0 == .queued(.general) }.count == 16)
        #expect(admissions.filter { $0 == .busy(retryAfterMs: 1_000) }.count == 584)
        #expect(q.count == 16)
        #expect(q.busyRefused == 584)
    }

    /// With checks taking 100 ms (the default 210,000 iterations on a busy core), no
    /// more wait than can be hashed before their deadline (5 s here): the 51st is
    /// busy at once instead of waiting 5 s to be told so.
    @Test func theLineHoldsNoMoreThanCanBeHashedBeforeItsDeadline() {
        var q = queue(capacity: 64)
        q.finished(address: "192.0.2.1", account: nil, succeeded: false, took: second / 10, now: 0)
        #expect(q.hashCost == second / 10)
        let admissions = flood(&q, addresses: 30, count: 2, now: second)  // deadlines 5 s after `now`
        #expect(admissions.filter { $0 == .queued(.general) }.count == 50)
        q.finished(address: "192.0.2.1", account: nil, succeeded: false, took: 5 * second / 10, now: 0)
        #expect(q.hashCost == 2 * second / 10)  // a slower check counts for a quarter
        #expect(q.admit(Work("late"), from: "10.0.0.99", account: nil, now: second, deadline: 6 * second) == .busy(retryAfterMs: 1_000))
    }

    /// The same flood, but the agent signed in from 192.0.2.7 before: their sign-in is
    /// hashed next, ahead of the 16 waiting, not behind them.
    @Test func anAgentWhoSignedInFromThisAddressBeforeIsHashedNext() {
        var q = queue()
        q.finished(address: "192.0.2.7", account: "minji.park", succeeded: true, took: 0, now: 0)
        _ = flood(&q, addresses: 30, count: 20, now: second)
        #expect(q.admit(Work("agent"), from: "192.0.2.7", account: "minji.park", now: second, deadline: 6 * second) == .queued(.returning))
        #expect(hashedName(q.next(now: second)) == "agent")
    }

    /// The returning lane takes a success from the same address: naming the account
    /// from elsewhere is not enough, and at the agent's own address it holds one
    /// sign-in at a time, so an attacker there adds one hash at a time, not a flood.
    @Test func anAttackerCannotClaimTheReturningLane() {
        var q = queue(capacity: 2)
        q.finished(address: "192.0.2.7", account: "minji.park", succeeded: true, took: 0, now: 0)
        q.finished(address: "192.0.2.8", account: "joon.lee", succeeded: false, took: 0, now: 0)
        #expect(q.admit(Work("elsewhere"), from: "10.0.0.1", account: "minji.park", now: 0, deadline: second) == .queued(.general))
        #expect(q.admit(Work("failed before"), from: "192.0.2.8", account: "joon.lee", now: 0, deadline: second) == .queued(.general))
        #expect(q.admit(Work("token"), from: "192.0.2.7", account: nil, now: 0, deadline: second) == .busy(retryAfterMs: 1_000))
        #expect(q.admit(Work("first"), from: "192.0.2.7", account: "minji.park", now: 0, deadline: second) == .queued(.returning))
        #expect(q.admit(Work("second"), from: "192.0.2.7", account: "minji.park", now: 0, deadline: second) == .busy(retryAfterMs: 1_000))
        #expect(q.isReturning("minji.park", from: "192.0.2.7"))
        #expect(!q.isReturning("minji.park", from: "10.0.0.1"))
    }

    /// With both lanes waiting, the general lane still gets one hash in four.
    @Test func theGeneralLaneKeepsAShare() {
        var q = queue()
        for n in 0..<8 {
            q.finished(address: "192.0.2.\(n)", account: "agent\(n)", succeeded: true, took: 0, now: 0)
            _ = q.admit(Work("r\(n)"), from: "192.0.2.\(n)", account: "agent\(n)", now: 0, deadline: second)
            _ = q.admit(Work("g\(n)"), from: "10.0.0.\(n)", account: "agent\(n)", now: 0, deadline: second)
        }
        var order: [String] = []
        while let name = hashedName(q.next(now: 0)) { order.append(name) }
        #expect(order == ["r0", "r1", "r2", "g0", "r3", "r4", "r5", "g1", "r6", "r7", "g2", "g3", "g4", "g5", "g6", "g7"])
    }

    /// A sign-in whose client has gone is dropped without a hash and without an answer.
    @Test func aSignInWhoseClientHasGoneIsNeverHashed() {
        var q = queue()
        let gone = Work("gone")
        _ = q.admit(gone, from: "10.0.0.1", account: "minji.park", now: 0, deadline: 5 * second)
        _ = q.admit(Work("here"), from: "10.0.0.2", account: "minji.park", now: 0, deadline: 5 * second)
        gone.isAbandoned = true
        #expect(hashedName(q.next(now: second)) == "here")
        #expect(q.next(now: second) == nil)
        #expect(q.abandonedDropped == 1)
    }

    /// Sign-ins whose clients left do not count against a newcomer: 40 closed hellos at
    /// 100 ms a hash once made the next sign-in look 4 s late and refused it as busy.
    @Test func closedSignInsDoNotMakeANewcomerLookLate() {
        var q = queue(capacity: 64)
        q.finished(address: "192.0.2.1", account: nil, succeeded: false, took: second / 10, now: 0)
        let gone = (0..<40).map { Work("gone \($0)") }
        for work in gone {
            #expect(q.admit(work, from: "10.0.0.1", account: "minji.park", now: 0, deadline: 5 * second) == .queued(.general))
        }
        #expect(q.admit(Work("too late"), from: "10.0.0.2", account: "minji.park", now: 0, deadline: 3 * second) == .busy(retryAfterMs: 1_000))
        for work in gone { work.isAbandoned = true }
        #expect(q.admit(Work("next"), from: "10.0.0.2", account: "minji.park", now: 0, deadline: 3 * second) == .queued(.general))
        #expect(q.abandonedDropped == 40)
        #expect(hashedName(q.next(now: 0)) == "next")
    }

    /// One that waited past its deadline is answered (busy) without a hash.
    @Test func aSignInPastItsDeadlineIsAnsweredWithoutAHash() {
        var q = queue()
        _ = q.admit(Work("late"), from: "10.0.0.1", account: "minji.park", now: 0, deadline: 5 * second)
        _ = q.admit(Work("on time"), from: "10.0.0.2", account: "minji.park", now: 3 * second, deadline: 8 * second)
        guard case .expired(let late) = q.next(now: 6 * second) else {
            Issue.record("the late sign-in was not expired")
            return
        }
        #expect(late.name == "late")
        #expect(hashedName(q.next(now: 6 * second)) == "on time")
        #expect(q.expiredAnswered == 1)
    }

    /// An address past its failure limit is refused when it offers a sign-in (not
    /// queued), and one that crossed the limit while waiting is refused before its hash.
    @Test func anAddressPastItsLimitIsRefusedWithoutAHash() {
        var q = queue(limit: 2)
        for n in 0..<3 { _ = q.admit(Work("w\(n)"), from: "10.0.0.1", account: "minji.park", now: 0, deadline: 5 * second) }
        for _ in 0..<2 {
            guard case .hash(_, let address, let account) = q.next(now: second) else {
                Issue.record("not hashed")
                return
            }
            q.finished(address: address, account: account, succeeded: false, took: 0, now: second)
        }
        guard case .throttled(let work, let wait) = q.next(now: 2 * second) else {
            Issue.record("the third was hashed")
            return
        }
        #expect(work.name == "w2")
        #expect(wait == 59_000)
        #expect(q.admit(Work("w3"), from: "10.0.0.1", account: "minji.park", now: 2 * second, deadline: 7 * second) == .throttled(waitMs: 59_000))
        #expect(q.isEmpty)
    }

    /// A failure neither opens the returning lane nor closes it; the remembered pairs are bounded.
    @Test func rememberedSuccessesAreBoundedOldestFirst() {
        var q = SignInQueue<Work>(capacity: 4, throttle: SignInThrottle(limit: 20), maxReturningPairs: 2)
        q.finished(address: "a", account: "x", succeeded: true, took: 0, now: 1)
        q.finished(address: "b", account: "x", succeeded: true, took: 0, now: 2)
        q.finished(address: "a", account: "x", succeeded: false, took: 0, now: 3)
        #expect(q.isReturning("x", from: "a"))
        q.finished(address: "c", account: "x", succeeded: true, took: 0, now: 4)
        #expect(!q.isReturning("x", from: "a"))
        #expect(q.isReturning("x", from: "b") && q.isReturning("x", from: "c"))
    }
}
