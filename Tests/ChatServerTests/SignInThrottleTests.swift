import Testing
@testable import ChatServer

/// Failed staff sign-ins per address (SignInThrottle.swift): past the limit within the
/// window an address waits, without a hash being spent on it.
struct SignInThrottleTests {
    let second: UInt64 = 1_000_000_000

    @Test func anAddressWaitsAfterTheLimitUntilTheWindowHasPassed() {
        let throttle = SignInThrottle(limit: 3, window: 60 * second)
        for i in 0..<3 {
            #expect(throttle.wait(for: "10.0.0.1", now: UInt64(i) * second) == nil)
            throttle.record("10.0.0.1", succeeded: false, now: UInt64(i) * second)
        }
        #expect(throttle.wait(for: "10.0.0.1", now: 10 * second) == 50_000)  // the window started at 0
        #expect(throttle.wait(for: "10.0.0.2", now: 10 * second) == nil)  // others are not held up
        #expect(throttle.wait(for: "10.0.0.1", now: 60 * second) == nil)  // the window has passed
        #expect(throttle.addressesCounted == 0)
    }

    @Test func aSuccessForgetsTheFailures() {
        let throttle = SignInThrottle(limit: 2)
        throttle.record("a", succeeded: false, now: 0)
        throttle.record("a", succeeded: true, now: 1)
        throttle.record("a", succeeded: false, now: 2)
        #expect(throttle.wait(for: "a", now: 3) == nil)
    }

    @Test func zeroTurnsItOff() {
        let throttle = SignInThrottle(limit: 0)
        for i in 0..<100 { throttle.record("a", succeeded: false, now: UInt64(i)) }
        #expect(throttle.wait(for: "a", now: 100) == nil)
        #expect(throttle.addressesCounted == 0)
    }

    @Test func memoryIsBoundedAndExpiredAddressesMakeRoom() {
        let throttle = SignInThrottle(limit: 1, window: 60 * second, maxAddresses: 2)
        throttle.record("a", succeeded: false, now: 0)
        throttle.record("b", succeeded: false, now: 30 * second)
        throttle.record("c", succeeded: false, now: 40 * second)  // full, none expired: c goes uncounted
        #expect(throttle.addressesCounted == 2)
        #expect(throttle.wait(for: "c", now: 41 * second) == nil)
        throttle.record("c", succeeded: false, now: 61 * second)  // a has expired and makes room
        #expect(throttle.addressesCounted == 2)
        #expect(throttle.wait(for: "c", now: 62 * second) != nil)
        #expect(throttle.wait(for: "b", now: 62 * second) != nil)
    }
}
