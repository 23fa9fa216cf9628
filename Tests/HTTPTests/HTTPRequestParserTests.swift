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
        let request = try #require(parseWhole("GET / HTTP/1.1\r\nHost:  \t a \t \r\nX-Name: \t a b \t \r\nEmpty:\r\n\r\n").request)
        #expect(request.header("Host") == "a")
        #expect(request.header("X-Name") == "a b")
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

    // MARK: Host (RFC 9112 §3.2)

    /// Issue 15, item 8: the outside attack sent two `Host` fields and `Host` values that
    /// are no host at all (`a b`, `h/x`, `user@h`); each was served. §3.2: a server MUST
    /// answer 400 to more than one Host field line or an invalid Host value.
    @Test(arguments: [
        ("two Host fields", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"),
        ("two Host fields differing in case", "GET / HTTP/1.1\r\nHost: a.example\r\nhOST: a.example\r\n\r\n"),
        ("two Host fields on HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("space inside the host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
        ("slash in the host", "GET / HTTP/1.1\r\nHost: h/x\r\n\r\n"),
        ("userinfo in the host", "GET / HTTP/1.1\r\nHost: user@h\r\n\r\n"),
        ("two colons", "GET / HTTP/1.1\r\nHost: h:80:80\r\n\r\n"),
        ("port that is not a number", "GET / HTTP/1.1\r\nHost: h:http\r\n\r\n"),
        ("port beyond 65535", "GET / HTTP/1.1\r\nHost: h:65536\r\n\r\n"),
        ("unclosed IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"),
        ("junk after an IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"),
        ("bad percent-encoding", "GET / HTTP/1.1\r\nHost: h%zz\r\n\r\n"),
        ("non-ASCII host", "GET / HTTP/1.1\r\nHost: 하늘.example\r\n\r\n"),
    ])
    func refusesARepeatedOrInvalidHostWith400(_ reason: String, _ text: String) {
        #expect(parseWhole(text).statusCode == 400, "\(reason)")
    }

    @Test(arguments: ["switchboard.example", "switchboard.example:8080", "127.0.0.1:80", "[::1]:8080", "[::1]",
                      "xn--3e0b707e.example", "h:", "", "a-b_c~d.example", "h%41"])
    func acceptsAHostThatIsAHostAndOptionalPort(_ host: String) throws {
        let request = try #require(parseWhole("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n").request)
        #expect(request.header("Host") == host)
    }

    // MARK: Bare LF and the request line limit, whatever else arrives

    /// Issue 15, item 8: a request whose lines end in bare LF (`GET / HTTP/1.1\nHost:
    /// h\n\n`) never shows CRLF CRLF, so it waited out the 5 s handshake timeout (408)
    /// instead of being refused. A bare LF is refused with 400 as soon as it arrives.
    @Test func refusesABareLFAsSoonAsItArrives() {
        #expect(parseWhole("GET / HTTP/1.1\nHost: h\n\n").statusCode == 400)
        #expect(parseWhole("GET / HTTP/1.1\n").statusCode == 400)
        #expect(parseWhole("\n").statusCode == 400)
        let parser = ParserHarness()
        #expect(parser.feed("GET / HTTP/1.1\r\nHost: h\r\n") == .needMore)
        #expect(parser.feed("X: 1\n").statusCode == 400)
    }

    @Test func refusesABareCRAsSoonAsTheByteAfterItArrives() {
        let parser = ParserHarness()
        #expect(parser.feed("GET / HTTP/1.1\r") == .needMore)
        #expect(parser.feed("Host: h").statusCode == 400)
    }

    @Test func stillReadsABodyWithBareLFsAfterAHeadEndedByCRLF() throws {
        let request = try #require(parseWhole("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\na\nb").request)
        #expect(request.body == Array("a\nb".utf8))
    }

    /// Issue 15, item 8: a request line of 20,000 bytes sent whole was answered 431 (the
    /// 16 KiB head limit) rather than the documented 414 for a request line over 8 KiB.
    @Test func refusesARequestLineOverTheLimitWith414EvenWhenTheHeadIsAlsoTooLarge() {
        let target = "/" + String(repeating: "p", count: 20_000)
        #expect(parseWhole("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n").statusCode == 414)
        let small = "/" + String(repeating: "p", count: 200)  // over both small limits
        #expect(parseWhole("GET \(small) HTTP/1.1\r\nHost: h\r\n\r\n", limits: smallLimits()).statusCode == 414)
        let (result, _) = parseOneByteAtATime("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(result.statusCode == 414)
    }

    // MARK: Absolute form (RFC 9112 §3.2.2)

    /// Issue 15, item 8: `GET http://host/path HTTP/1.1` was refused (400, "invalid
    /// request target"); §3.2.2 says a server MUST accept the absolute form. It is routed
    /// by its path and query, and its authority is the request's host.
    @Test func acceptsAnAbsoluteFormTargetAndRoutesByItsPath() throws {
        let request = try #require(parseWhole("GET http://switchboard.example:8080/v1/stats?window=60 HTTP/1.1\r\nHost: other.example\r\n\r\n").request)
        #expect(request.target == "/v1/stats?window=60")
        #expect(request.path == "/v1/stats")
        #expect(request.query == "window=60")
    }

    @Test func takesTheHostFromAnAbsoluteFormTargetOverTheHostField() throws {
        let request = try #require(parseWhole("GET http://switchboard.example:8080/v1/stats HTTP/1.1\r\nHost: other.example\r\n\r\n").request)
        #expect(request.authority == "switchboard.example:8080")
        #expect(request.host == "switchboard.example:8080")
        let origin = try #require(parseWhole("GET /v1/stats HTTP/1.1\r\nHost: other.example\r\n\r\n").request)
        #expect(origin.authority == nil)
        #expect(origin.host == "other.example")
    }

    @Test(arguments: [
        ("http://h", "/"), ("HTTPS://h/", "/"), ("http://h?x=1", "/?x=1"), ("http://[::1]:9/a/b", "/a/b"), ("hTTp://h/%20", "/%20"),
    ])
    func reducesAnAbsoluteFormTargetToItsPathAndQuery(_ target: String, _ expected: String) throws {
        let request = try #require(parseWhole("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n").request)
        #expect(request.target == expected)
    }

    @Test(arguments: [
        ("another scheme", "GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("no authority", "GET http:/x HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("an empty host", "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("userinfo", "GET http://user:pw@h/x HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("a bad port", "GET http://h:x/ HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("a fragment", "GET http://h/x#top HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("no Host field on HTTP/1.1", "GET http://h/x HTTP/1.1\r\n\r\n"),
        ("two Host fields", "GET http://h/x HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n"),
        ("an invalid Host field", "GET http://h/x HTTP/1.1\r\nHost: a b\r\n\r\n"),
    ])
    func refusesAnAbsoluteFormTargetWith400When(_ reason: String, _ text: String) {
        #expect(parseWhole(text).statusCode == 400, "\(reason)")
    }

    @Test func doesNotParseARequestPipelinedBehindARefusedOne() {
        let parser = ParserHarness()
        #expect(parser.feed("GET / HTTP/1.1\r\nX: 1\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").statusCode == 400)
        #expect(parser.next().statusCode == 400)
    }
}
