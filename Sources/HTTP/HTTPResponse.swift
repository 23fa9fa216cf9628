/// An HTTP/1.1 response to serialize; a value, built by whoever answers the request.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The answer to a HEAD request: Content-Length is the body's, but the body is
    /// not sent (RFC 9110 §9.3.2).
    public var omitsBody = false

    public init(status: HTTPStatus, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text response (UTF-8), e.g. for errors a person may read in a browser.
    public static func text(_ status: HTTPStatus, _ text: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array(text.utf8))
    }

    /// The response's bytes. Content-Length is added unless the status forbids a body
    /// (1xx, 204); `close` adds `Connection: close`.
    public func serialized(close: Bool = false) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        var closeAnnounced = false
        for (name, value) in headers {
            // One Connection field: "close" joins the tokens already there (RFC 9110 §7.6.1).
            if close && name.lowercased() == "connection" {
                head += "\(name): \(value), close\r\n"
                closeAnnounced = true
            } else {
                head += "\(name): \(value)\r\n"
            }
        }
        if status.code >= 200 && status.code != 204 { head += "Content-Length: \(body.count)\r\n" }
        if close && !closeAnnounced { head += "Connection: close\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if !omitsBody { bytes.append(contentsOf: body) }
        return bytes
    }
}
