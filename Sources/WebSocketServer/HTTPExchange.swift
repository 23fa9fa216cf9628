import HTTP

/// The HTTP/1.1 phase of one connection, with no I/O: requests parsed from the bytes
/// read, persistent connections (RFC 9112 §9.3: pipelined requests answered one at a
/// time), an answer deferred to later, and the deadline for finishing a request. The
/// connection routes each request, writes the answers, and leaves this phase for a
/// WebSocket (taking the bytes that followed the upgrade request) or for closing.
///
/// A value owned by one connection on its loop's thread, until that connection
/// upgrades or closes.
package struct HTTPExchange {
    package enum Step: Equatable {
        /// Wait for more bytes (or for the deferred answer).
        case needMore
        /// A whole request, for the connection to route.
        case request(HTTPRequest)
        /// The bytes are not a request we serve: answer with the error's status and close.
        case malformed(HTTPParseError)
    }

    private var parser: HTTPRequestParser
    /// A request's answer comes later (`Route.deferred`); until then nothing is read.
    package private(set) var awaitingAnswer = false
    /// Monotonic nanoseconds by which the current request must be complete.
    package private(set) var deadline: UInt64
    private let timeout: UInt64

    /// `timeout`: how long a request may take to arrive, counted from `now` (the
    /// accept) and again after each answered keep-alive request.
    package init(limits: HTTPLimits, timeout: UInt64, now: UInt64) {
        parser = HTTPRequestParser(limits: limits)
        self.timeout = timeout
        deadline = now &+ timeout
    }

    /// No bytes of an unfinished request are held (a shutdown may close at once).
    package var isIdle: Bool { parser.isIdle }

    /// Bytes read from the peer; the first request they complete, if any. While an
    /// answer is deferred they are dropped: the connection closes after that answer.
    package mutating func receive(_ input: UnsafeRawBufferPointer) -> Step {
        if awaitingAnswer { return .needMore }
        return step(parser.parse(input))
    }

    /// The last request was answered and the connection stays open: the next request
    /// already read (pipelined), if any. The deadline starts again.
    package mutating func answered(now: UInt64) -> Step {
        deadline = now &+ timeout
        return step(parser.next())
    }

    /// The last request is answered later; nothing more is read until then.
    package mutating func deferAnswer() {
        awaitingAnswer = true
    }

    /// Whether a deferred answer was due (true once; the caller answers and closes).
    package mutating func takeDeferredAnswer() -> Bool {
        guard awaitingAnswer else { return false }
        awaitingAnswer = false
        return true
    }

    /// The request was not complete by its deadline.
    package func hasExpired(now: UInt64) -> Bool { now > deadline }

    /// The bytes that followed the upgrade request: the first WebSocket frames.
    package mutating func takeBuffered() -> [UInt8] { parser.takeBuffered() }

    private func step(_ result: HTTPRequestParser.Result) -> Step {
        switch result {
        case .needMore: return .needMore
        case .request(let request): return .request(request)
        case .failure(let error): return .malformed(error)
        }
    }
}
