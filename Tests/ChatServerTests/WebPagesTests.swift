import HTTP
import Testing

@testable import ChatServer

@Suite struct WebPagesTests {
    let pages = WebPages(files: [
        (name: "index.html", etag: "a1", text: "<!doctype html><title>하늘마켓</title>"),
        (name: "console.html", etag: "b2", text: "<!doctype html>"),
        (name: "widget.js", etag: "c3", text: "console.log('안녕')"),
        (name: "widget.css", etag: "d4", text: ".sbw{}"),
        (name: "favicon.svg", etag: "e5", text: "<svg/>"),
        (name: "notes.unknown", etag: "f6", text: "?"),
    ])

    func get(_ target: String, method: String = "GET", headers: [(name: String, value: String)] = []) -> HTTPResponse? {
        pages.respond(to: HTTPRequest(method: method, target: target, headers: headers))
    }

    func header(_ response: HTTPResponse?, _ name: String) -> String? {
        response?.headers.first { $0.name == name }?.value
    }

    @Test func htmlFilesAreServedWithoutTheirExtensionAndIndexAtTheRoot() {
        #expect(pages.paths == ["/", "/console", "/favicon.svg", "/widget.css", "/widget.js"])
        #expect(get("/")?.status == .ok)
        #expect(get("/console?lang=en")?.status == .ok)
        #expect(get("/console.html") == nil)
        #expect(get("/index.html") == nil)
        #expect(get("/notes.unknown") == nil)
        #expect(get("/nope") == nil)
    }

    @Test func documentsCarryTheContentSecurityPolicyAndUTF8() {
        let page = get("/")
        #expect(header(page, "Content-Type") == "text/html; charset=utf-8")
        #expect(header(page, "Content-Security-Policy")?.contains("script-src 'self'") == true)
        #expect(header(page, "Content-Security-Policy")?.contains("'unsafe-inline'") == false)
        #expect(page?.body == Array("<!doctype html><title>하늘마켓</title>".utf8))
    }

    @Test func theWidgetMayBeLoadedFromOtherOrigins() {
        let script = get("/widget.js")
        #expect(header(script, "Content-Type") == "text/javascript; charset=utf-8")
        #expect(header(script, "Cross-Origin-Resource-Policy") == "cross-origin")
        #expect(header(script, "Content-Security-Policy") == nil)
        #expect(header(get("/widget.css"), "Content-Type") == "text/css; charset=utf-8")
        #expect(header(get("/favicon.svg"), "Content-Type") == "image/svg+xml; charset=utf-8")
    }

    @Test func aMatchingETagGetsNotModifiedWithoutABody() {
        #expect(header(get("/widget.js"), "ETag") == "\"c3\"")
        for field in ["\"c3\"", "W/\"c3\"", "\"zz\", \"c3\"", "*", " \"c3\" "] {
            let answer = get("/widget.js", headers: [("If-None-Match", field)])
            #expect(answer?.status == .notModified, "\(field)")
            #expect(answer?.body.isEmpty == true)
        }
        #expect(get("/widget.js", headers: [("If-None-Match", "\"c4\"")])?.status == .ok)
        #expect(get("/widget.js", headers: [("If-None-Match", "c3")])?.status == .ok)
    }

    @Test func onlyGetAndHeadAreAnswered() {
        let post = get("/console", method: "POST")
        #expect(post?.status == .methodNotAllowed)
        #expect(header(post, "Allow") == "GET, HEAD")
        let head = get("/console", method: "HEAD")
        // The same answer as GET; ServerConnection leaves the body out of the bytes sent
        // (test_head_answers_every_endpoint_without_a_body_on_a_kept_alive_connection).
        #expect(head?.status == .ok)
        #expect(head?.body == get("/console")?.body)
    }

    @Test func noPagesAnswerNothing() {
        #expect(WebPages().respond(to: HTTPRequest(method: "GET", target: "/")) == nil)
    }
}
