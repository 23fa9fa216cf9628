import HTTP
import Testing
import WebSocketServer

/// The HTTP phase on bytes, with an injected clock: requests split across reads,
/// pipelined keep-alive requests one at a time, malformed input, a deferred answer,
/// the request deadline, and the bytes handed over after an upgrade.
@Suite struct HTTPExchangeTests {
    static let get = "GET /a HTTP/1.1\r\nHost: example\r\n\r\n"

    static func exchange(now: UInt64 = 0) -> HTTPExchange {
        HTTPExchange(limits: HTTPLimits(), timeout: 100, now: now)
    }

    static func feed(_ exchange: inout HTTPExchange, _ text: String) -> HTTPExchange.Step {
        Array(text.utf8).withUnsafeBytes { exchange.receive($0) }
    }

    static func target(_ step: HTTPExchange.Step) -> String? {
        if case .request(let request) = step { return request.target }
        return nil
    }

    @Test func requestSplitAcrossReadsArrivesWhole() {
        var exchange = Self.exchange()
        #expect(Self.feed(&exchange, "GET /a HTTP/1.1\r\nHo") == .needMore)
        #expect(!exchange.isIdle)
        #expect(Self.target(Self.feed(&exchange, "st: example\r\n\r\n")) == "/a")
        #expect(exchange.isIdle)
    }

    @Test func pipelinedRequestsComeOneAtATimeAsEachIsAnswered() {
        var exchange = Self.exchange()
        let two = Self.get + "GET /b HTTP/1.1\r\nHost: example\r\n\r\n"
        #expect(Self.target(Self.feed(&exchange, two)) == "/a")
        let second = exchange.answered(now: 10)
        #expect(Self.target(second) == "/b")
        let third = exchange.answered(now: 20)
        #expect(third == .needMore)
    }

    @Test func malformedRequestIsReportedWithItsStatus() {
        var exchange = Self.exchange()
        guard case .malformed(let error) = Self.feed(&exchange, "GET /a HTTP/1.1\r\n\r\n") else {
            Issue.record("a request without Host was accepted")
            return
        }
        #expect(error.status == .badRequest)
    }

    @Test func whileAnAnswerIsDeferredNothingIsReadAndTheAnswerIsDueOnce() {
        var exchange = Self.exchange()
        #expect(Self.target(Self.feed(&exchange, Self.get)) == "/a")
        exchange.deferAnswer()
        #expect(Self.feed(&exchange, Self.get) == .needMore)
        let due = exchange.takeDeferredAnswer()
        let dueAgain = exchange.takeDeferredAnswer()
        #expect(due && !dueAgain)
    }

    @Test func deadlineCountsFromTheAcceptAndAgainAfterEachAnswer() {
        var exchange = Self.exchange(now: 1000)
        #expect(!exchange.hasExpired(now: 1100))
        #expect(exchange.hasExpired(now: 1101))
        _ = Self.feed(&exchange, Self.get)
        _ = exchange.answered(now: 1050)
        #expect(!exchange.hasExpired(now: 1150))
        #expect(exchange.hasExpired(now: 1151))
    }

    @Test func bytesAfterTheUpgradeRequestAreHandedOver() {
        var exchange = Self.exchange()
        #expect(Self.target(Self.feed(&exchange, Self.get + "\u{81}\u{05}")) == "/a")
        let leftover = exchange.takeBuffered()
        #expect(leftover == [0xC2, 0x81, 0x05])
        #expect(exchange.isIdle)
    }
}
