import HTTP

/// Byte-level helpers shared by the HTTP tests: requests are written as text with
/// explicit CRLFs and fed to the parser as bytes, whole or in pieces.

/// A parser driven as a connection drives it. A class, so a feed can sit inside
/// `#expect` in any form: the macro's function-call form takes its receiver as an
/// immutable value, which a mutating method on a struct cannot use.
final class ParserHarness {
    private(set) var parser: HTTPRequestParser

    init(limits: HTTPLimits = HTTPLimits()) {
        parser = HTTPRequestParser(limits: limits)
    }

    /// Feeds `bytes` as one read.
    func feed(_ bytes: [UInt8]) -> HTTPRequestParser.Result {
        bytes.withUnsafeBytes { parser.parse($0) }
    }

    func feed(_ text: String) -> HTTPRequestParser.Result {
        feed(Array(text.utf8))
    }

    func next() -> HTTPRequestParser.Result { parser.next() }
    func takeBuffered() -> [UInt8] { parser.takeBuffered() }
    var isIdle: Bool { parser.isIdle }
}

extension HTTPRequestParser.Result {
    /// The request, if this result is one.
    var request: HTTPRequest? {
        if case .request(let request) = self { return request }
        return nil
    }

    /// The status code the request is refused with, if it is refused.
    var statusCode: Int? {
        if case .failure(let error) = self { return error.status.code }
        return nil
    }
}

/// Parses `text` in one read with a fresh parser.
func parseWhole(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPRequestParser.Result {
    ParserHarness(limits: limits).feed(text)
}

/// Parses `text` one byte per read with a fresh parser. Every read before the last
/// must answer `.needMore`; returns the last read's result and the reads that
/// answered something else early (for tests to expect none).
func parseOneByteAtATime(_ text: String, limits: HTTPLimits = HTTPLimits()) -> (result: HTTPRequestParser.Result, earlyAnswers: [Int]) {
    let parser = ParserHarness(limits: limits)
    let bytes = Array(text.utf8)
    var early: [Int] = []
    var result = HTTPRequestParser.Result.needMore
    for (index, byte) in bytes.enumerated() {
        result = parser.feed([byte])
        if index < bytes.count - 1, result != .needMore { early.append(index) }
    }
    return (result, early)
}

/// Limits small enough that tests can cross them with short requests.
func smallLimits() -> HTTPLimits {
    var limits = HTTPLimits()
    limits.maxRequestLine = 32
    limits.maxHeaderBytes = 128
    limits.maxHeaderCount = 3
    limits.maxBodyBytes = 16
    return limits
}
