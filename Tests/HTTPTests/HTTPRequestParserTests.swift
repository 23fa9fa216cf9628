import HTTP
import Testing

/// RFC 9112 request parsing, byte by byte: what is accepted, what is refused with
/// which status, and that the way bytes are split across reads changes nothing.
@Suite struct HTTPRequestParserTests {
    static let upgrade = "GET /chat?room=7 HTTP/1.1\r\nHost: switchboard.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"

    // MARK: Accepted requests

    @Test func parsesRequestLineAndHeadersInArrivalOrder() throws {
        let request = try #require(parseWhole(Self.upgrade).request)
        #expect(request.method == "GET")
        #expect(request.target == "/chat?room=7")
        #expect(request.minorVersion == 1)
        #expect(request.headers.map(\.name) == ["Host", "Upgrade", "Connection"])
        #expect(request.headers.map(\.value) == ["switchboard.example", "websocket", "Upgrade"])
        #expect(request.body.isEmpty)
    }

    @Test func keepsTheCaseOfHeaderNames() throws {
        let request = try #require(parseWhole("GET / HTTP/1.1\r\nhOsT: a\r\nX-CUSTOM-thing: b\r\n\r\n").request)
        #expect(request.headers.map(\.name) == ["hOsT", "X-CUSTOM-thing"])
    }

    @Test func trimsOptionalWhitespaceAroundFieldValues() throws {
        let request = try #require(parseWhole("GET / HTTP/1.1\r\nHost:  \t a b \t \r\nEmpty:\r\n\r\n").request)
        #expect(request.header("Host") == "a b")
        #expect(request.header("Empty") == "")
    }

    @Test func acceptsObsTextInFieldValues() throws {
        let request = try #require(parseWhole("GET / HTTP/1.1\r\nHost: a\r\nX-Name: 안녕\r\n\r\n").request)
        #expect(request.header("X-Name") == "안녕")
    }

    @Test func acceptsHTTP10WithoutHost() throws {
        let request = try #require(parseWhole("GET /stats HTTP/1.0\r\n\r\n").request)
        #expect(request.minorVersion == 0)
        #expect(request.headers.isEmpty)
    }

    @Test func acceptsTheAsteriskFormForOptions() throws {
        let request = try #require(parseWhole("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").request)
        #expect(request.target == "*")
    }

    @Test func answersNeedMoreUntilTheBlankLineArrives() {
        let parser = ParserHarness()
        let bytes = Array(Self.upgrade.utf8)
        #expect(parser.feed(Array(bytes.dropLast(2))) == .needMore)
        #expect(!parser.isIdle)
        #expect(parser.feed([13, 10]).request?.target == "/chat?room=7")
        #expect(parser.isIdle)
    }

    @Test func parsesARequestArrivingOneByteAtATimeLikeOneArrivingWhole() throws {
        let text = "POST /v1/notes HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        let (result, early) = parseOneByteAtATime(text)
        #expect(early.isEmpty)
        let whole = try #require(parseWhole(text).request)
        #expect(result.request == whole)
        #expect(whole.body == Array("hello".utf8))
    }

    @Test func parsesARequestSplitInTwoAtEveryPosition() throws {
        let text = "POST /v1/notes HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        let whole = try #require(parseWhole(text).request)
        let bytes = Array(text.utf8)
        for split in 1..<bytes.count {
            let parser = ParserHarness()
            #expect(parser.feed(Array(bytes[..<split])) == .needMore, "split at \(split)")
            #expect(parser.feed(Array(bytes[split...])).request == whole, "split at \(split)")
        }
    }

    @Test func readsAContentLengthBody() throws {
        let request = try #require(parseWhole("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n\u{0}\u{1}\r\n").request)
        #expect(request.body == [0, 1, 13, 10])
    }

    @Test func waitsForTheWholeBodyBeforeAnsweringWithTheRequest() {
        let parser = ParserHarness()
        #expect(parser.feed("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab") == .needMore)
        #expect(parser.feed("cd") == .needMore)
        #expect(parser.feed("ef").request?.body == Array("abcdef".utf8))
    }

    @Test func treatsAZeroContentLengthAsAnEmptyBody() throws {
        let request = try #require(parseWhole("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").request)
        #expect(request.body.isEmpty)
    }

    // MARK: Pipelining and hand-over

    @Test func returnsPipelinedRequestsOneByOneThroughNext() {
        let parser = ParserHarness()
        let first = parser.feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokGET /c HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(first.request?.target == "/a")
        let second = parser.next()
        #expect(second.request?.target == "/b")
        #expect(second.request?.body == Array("ok".utf8))
        #expect(parser.next().request?.target == "/c")
        #expect(parser.next() == .needMore)
        #expect(parser.isIdle)
    }

    @Test func keepsAPartialPipelinedRequestForTheNextRead() {
        let parser = ParserHarness()
        #expect(parser.feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HT").request?.target == "/a")
        #expect(parser.next() == .needMore)
        #expect(!parser.isIdle)
        #expect(parser.feed("TP/1.1\r\nHost: h\r\n\r\n").request?.target == "/b")
    }

    @Test func takeBufferedHandsOverTheBytesAfterTheRequestAndEmptiesTheParser() {
        let parser = ParserHarness()
        let frame: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(parser.feed(Array(Self.upgrade.utf8) + frame).request?.path == "/chat")
        #expect(parser.takeBuffered() == frame)
        #expect(parser.isIdle)
        #expect(parser.takeBuffered() == [])
    }

    @Test func takeBufferedIsEmptyWhenNothingFollowedTheRequest() {
        let parser = ParserHarness()
        #expect(parser.feed(Self.upgrade).request != nil)
        #expect(parser.takeBuffered() == [])
    }

    // MARK: Limits

    @Test func refusesARequestLineLongerThanTheLimitWith414() {
        let target = "/" + String(repeating: "a", count: 19)  // request line of 33 bytes
        #expect(parseWhole("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n", limits: smallLimits()).statusCode == 414)
    }

    @Test func acceptsARequestLineExactlyAtTheLimitWhenItArrivesWhole() {
        let target = "/" + String(repeating: "a", count: 18)  // request line of 32 bytes
        #expect(parseWhole("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n", limits: smallLimits()).request?.target == target)
    }

    @Test
    func acceptsARequestLineExactlyAtTheLimitWhenItArrivesOneByteAtATime() {
        let target = "/" + String(repeating: "a", count: 18)  // request line of 32 bytes
        let (result, early) = parseOneByteAtATime("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n", limits: smallLimits())
        #expect(early.isEmpty)
        #expect(result.request?.target == target)
    }

    @Test func refusesARequestLineThatNeverEndsAsSoonAsItPassesTheLimit() {
        let parser = ParserHarness(limits: smallLimits())
        #expect(parser.feed("GET /" + String(repeating: "a", count: 27)) == .needMore)  // 32 bytes
        #expect(parser.feed("a").statusCode == 414)
    }

    @Test func refusesAHeadLargerThanTheLimitWith431() {
        let value = String(repeating: "v", count: 97)  // head of 129 bytes
        #expect(parseWhole("GET / HTTP/1.1\r\nHost: h\r\nX: \(value)\r\n\r\n", limits: smallLimits()).statusCode == 431)
    }

    @Test func acceptsAHeadExactlyAtTheLimitWholeOrOneByteAtATime() {
        let text = "GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "v", count: 96))\r\n\r\n"
        #expect(text.utf8.count == 128)
        #expect(parseWhole(text, limits: smallLimits()).request != nil)
        let (result, early) = parseOneByteAtATime(text, limits: smallLimits())
        #expect(early.isEmpty)
        #expect(result.request != nil)
    }

    @Test func refusesAHeadThatNeverEndsAsSoonAsItPassesTheLimit() {
        let bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "v", count: 200))".utf8)
        let parser = ParserHarness(limits: smallLimits())
        for byte in bytes[..<128] {
            #expect(parser.feed([byte]) == .needMore)
        }
        #expect(parser.feed([bytes[128]]).statusCode == 431)
    }

    @Test func refusesAContentLengthTooLargeForAnIntegerWithoutTrapping() {
        let status = parseWhole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n").statusCode
        #expect(status == 400 || status == 413)
    }

    @Test func refusesMoreHeaderFieldsThanTheLimitWith431() {
        #expect(parseWhole("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits: smallLimits()).request != nil)
        #expect(parseWhole("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: smallLimits()).statusCode == 431)
    }

    @Test func refusesABodyLargerThanTheLimitWith413BeforeItArrives() {
        let parser = ParserHarness(limits: smallLimits())
        #expect(parser.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n").statusCode == 413)
        #expect(parseWhole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n0123456789abcdef", limits: smallLimits()).request?.body.count == 16)
    }

    // MARK: Refused with 400

    @Test(arguments: [
        ("bare LF ending a header line", "GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n"),
        ("bare LF ending the request line", "GET / HTTP/1.1\nHost: h\r\n\r\n"),
        ("bare CR inside a value", "GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n"),
        ("obs-fold with a space", "GET / HTTP/1.1\r\nHost: h\r\nX: 1\r\n 2\r\n\r\n"),
        ("obs-fold with a tab", "GET / HTTP/1.1\r\nHost: h\r\nX: 1\r\n\t2\r\n\r\n"),
        ("space before the colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        ("tab before the colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"),
        ("header line without a colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"),
        ("empty header name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"),
        ("separator in a header name", "GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n"),
        ("control byte in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{1}b\r\n\r\n"),
        ("DEL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{7F}b\r\n\r\n"),
        ("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("request line without a version", "GET /\r\nHost: h\r\n\r\n"),
        ("separator in the method", "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("target not in origin form", "GET chat HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("control byte in the target", "GET /a\u{1}b HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("lowercase protocol name", "GET / http/1.1\r\nHost: h\r\n\r\n"),
        ("two-digit minor version", "GET / HTTP/1.10\r\nHost: h\r\n\r\n"),
        ("version without a dot", "GET / HTTP/11\r\nHost: h\r\n\r\n"),
        ("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\nX: 1\r\n\r\n"),
        ("two Content-Lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"),
        ("two Content-Lengths differing in case", "POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 1\r\nCONTENT-LENGTH: 2\r\n\r\nxy"),
        ("Content-Length that is not a number", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n"),
        ("Content-Length with a sign", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\nx"),
        ("negative Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"),
        ("empty Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"),
        ("Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\nx"),
    ])
    func refusesMalformedRequestsWith400(_ reason: String, _ text: String) {
        #expect(parseWhole(text).statusCode == 400, "\(reason)")
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"])
    func refusesOtherHTTPVersionsWith505(_ version: String) {
        #expect(parseWhole("GET / \(version)\r\nHost: h\r\n\r\n").statusCode == 505)
    }

    @Test(arguments: ["chunked", "gzip, chunked", "identity"])
    func refusesTransferEncodingWith501(_ coding: String) {
        #expect(parseWhole("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \(coding)\r\n\r\n").statusCode == 501)
    }

    @Test func refusesTransferEncodingWith501EvenBesideContentLength() {
        #expect(parseWhole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n").statusCode == 501)
    }

    @Test func refusesAMalformedRequestTheSameWayWhenItArrivesOneByteAtATime() {
        let (result, early) = parseOneByteAtATime("GET / HTTP/1.1\r\nHost : h\r\n\r\n")
        #expect(early.isEmpty)
        #expect(result.statusCode == 400)
    }

    @Test func doesNotParseARequestPipelinedBehindARefusedOne() {
        let parser = ParserHarness()
        #expect(parser.feed("GET / HTTP/1.1\r\nX: 1\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").statusCode == 400)
        #expect(parser.next().statusCode == 400)
    }
}
