import HTTP
import Testing

/// Header lookup, list-valued headers, persistence rules and the parts of the target.
@Suite struct HTTPRequestTests {
    static func request(_ headers: [(String, String)], minorVersion: Int = 1, target: String = "/") -> HTTPRequest {
        HTTPRequest(method: "GET", target: target, minorVersion: minorVersion, headers: headers.map { (name: $0.0, value: $0.1) })
    }

    @Test func headerLookupIgnoresCase() {
        let request = Self.request([("Sec-WebSocket-Key", "k")])
        #expect(request.header("sec-websocket-key") == "k")
        #expect(request.header("SEC-WEBSOCKET-KEY") == "k")
        #expect(request.header("Sec-WebSocket-Key") == "k")
    }

    @Test func headerReturnsTheFirstOfRepeatedFields() {
        let request = Self.request([("X-Tag", "one"), ("x-tag", "two")])
        #expect(request.header("X-Tag") == "one")
    }

    @Test func headerIsNilWhenTheFieldIsAbsent() {
        #expect(Self.request([("Host", "h")]).header("Origin") == nil)
    }

    @Test func headerTokensSplitsCommaListsAcrossRepeatedFieldsAndTrimsThem() {
        let request = Self.request([("Connection", "keep-alive, Upgrade"), ("Host", "h"), ("connection", " ,\tclose ,, ")])
        #expect(request.headerTokens("CONNECTION") == ["keep-alive", "Upgrade", "close"])
    }

    @Test func headerTokensIsEmptyWhenTheFieldIsAbsent() {
        #expect(Self.request([("Host", "h")]).headerTokens("Upgrade").isEmpty)
    }

    @Test func parsedRequestsAnswerHeaderLookupsIgnoringCase() throws {
        let request = try #require(parseWhole("GET / HTTP/1.1\r\nhost: h\r\nUPGRADE: websocket\r\n\r\n").request)
        #expect(request.header("Host") == "h")
        #expect(request.headerTokens("upgrade") == ["websocket"])
    }

    // MARK: keepAlive (RFC 9112 §9.3)

    @Test func http11StaysOpenByDefault() {
        #expect(Self.request([("Host", "h")]).keepAlive)
    }

    @Test(arguments: ["close", "Close", "keep-alive, close", "Upgrade,CLOSE"])
    func http11ClosesWhenConnectionHasTheCloseToken(_ value: String) {
        #expect(!Self.request([("Connection", value)]).keepAlive)
    }

    @Test func http11StaysOpenWhenConnectionListsOtherTokensOnly() {
        #expect(Self.request([("Connection", "Upgrade"), ("Connection", "closed")]).keepAlive)
    }

    @Test func http10ClosesByDefault() {
        #expect(!Self.request([], minorVersion: 0).keepAlive)
    }

    @Test(arguments: ["keep-alive", "Keep-Alive", "foo, keep-alive"])
    func http10StaysOpenWithKeepAlive(_ value: String) {
        #expect(Self.request([("Connection", value)], minorVersion: 0).keepAlive)
    }

    // MARK: path and query

    @Test(arguments: [
        ("/v1/stats?window=60", "/v1/stats", "window=60"),
        ("/", "/", ""),
        ("/chat", "/chat", ""),
        ("/a?", "/a", ""),
        ("/a?b=1?c=2", "/a", "b=1?c=2"),
        ("/?x", "/", "x"),
    ])
    func splitsTheTargetIntoPathAndQuery(_ target: String, _ path: String, _ query: String) {
        let request = Self.request([], target: target)
        #expect(request.path == path)
        #expect(request.query == query)
    }

    // MARK: Equality

    @Test func requestsAreEqualOnlyWhenEveryPartIsEqual() {
        let base = HTTPRequest(method: "POST", target: "/a", headers: [(name: "Host", value: "h")], body: [1])
        #expect(base == HTTPRequest(method: "POST", target: "/a", headers: [(name: "Host", value: "h")], body: [1]))
        #expect(base != HTTPRequest(method: "GET", target: "/a", headers: [(name: "Host", value: "h")], body: [1]))
        #expect(base != HTTPRequest(method: "POST", target: "/b", headers: [(name: "Host", value: "h")], body: [1]))
        #expect(base != HTTPRequest(method: "POST", target: "/a", minorVersion: 0, headers: [(name: "Host", value: "h")], body: [1]))
        #expect(base != HTTPRequest(method: "POST", target: "/a", headers: [(name: "Host", value: "i")], body: [1]))
        #expect(base != HTTPRequest(method: "POST", target: "/a", headers: [(name: "Host", value: "h"), (name: "X", value: "1")], body: [1]))
        #expect(base != HTTPRequest(method: "POST", target: "/a", headers: [(name: "Host", value: "h")], body: [2]))
    }

    @Test func ifNoneMatchComparesEntityTagsWeakly() {
        let etag = "\"c3\""
        for field in ["\"c3\"", "W/\"c3\"", "\"zz\", \"c3\"", "*", " \"c3\" ", "\"a\",W/\"c3\""] {
            #expect(Self.request([("If-None-Match", field)]).ifNoneMatch(etag), "\(field)")
        }
        #expect(Self.request([("if-none-match", "\"c3\"")]).ifNoneMatch("W/\"c3\""))
        #expect(Self.request([("If-None-Match", "\"a\""), ("If-None-Match", "\"c3\"")]).ifNoneMatch(etag))
        for field in ["\"c4\"", "c3", "\"c3", "", ",", "W/", "\"C3\""] {
            #expect(!Self.request([("If-None-Match", field)]).ifNoneMatch(etag), "\(field)")
        }
        #expect(!Self.request([]).ifNoneMatch(etag))
    }
}
