import HTTP
import Testing

/// Response serialization: the exact bytes, and when Content-Length is written.
@Suite struct HTTPResponseTests {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func serializesStatusLineHeadersContentLengthAndBody() {
        let response = HTTPResponse(status: .ok, headers: [("Content-Type", "application/json"), ("X-Id", "7")], body: Array("{}".utf8))
        #expect(Self.text(response.serialized()) == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Id: 7\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test func writesContentLengthZeroForAnEmptyErrorBody() {
        #expect(Self.text(HTTPResponse(status: .notFound).serialized()) == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func writesNoContentLengthForSwitchingProtocols() {
        let response = HTTPResponse(status: .switchingProtocols, headers: [("Upgrade", "websocket"), ("Connection", "Upgrade")])
        #expect(Self.text(response.serialized()) == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    }

    @Test func writesNoContentLengthForNoContent() {
        #expect(Self.text(HTTPResponse(status: .noContent).serialized()) == "HTTP/1.1 204 No Content\r\n\r\n")
    }

    @Test func addsConnectionCloseWhenAsked() {
        #expect(Self.text(HTTPResponse(status: .serviceUnavailable).serialized(close: true))
            == "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    @Test func textResponseIsUTF8WithItsByteCountAsContentLength() {
        let bytes = HTTPResponse.text(.badRequest, "안녕\n", headers: [("X-Reason", "greeting")]).serialized()
        #expect(Self.text(bytes) == "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nX-Reason: greeting\r\nContent-Length: 7\r\n\r\n안녕\n")
    }

    @Test func bodyBytesAreWrittenVerbatim() {
        let body: [UInt8] = [0, 13, 10, 13, 10, 0xFF]
        let bytes = HTTPResponse(status: .ok, body: body).serialized()
        #expect(Array(bytes.suffix(body.count)) == body)
        #expect(Self.text(Array(bytes.dropLast(body.count))) == "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
    }

    @Test func aHeadAnswerCarriesTheBodysLengthButNotTheBody() {
        var response = HTTPResponse(status: .ok, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array("<p>안녕</p>".utf8))
        response.omitsBody = true
        #expect(Self.text(response.serialized()) == "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 13\r\n\r\n")
    }
}
