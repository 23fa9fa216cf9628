/// One parsed HTTP/1.1 request head (RFC 9112 §3–5), plus its body if it had one.
/// A value: built by `HTTPRequestParser` on a loop thread, safe to hand to any thread.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The origin-form target, e.g. `/v1/stats?window=60` (or `*`). An absolute-form
    /// target (`http://host/v1/stats?window=60`, RFC 9112 §3.2.2) arrives here as its
    /// path and query, with its authority in `authority`: routes see one form only.
    public var target: String
    /// Minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    public var minorVersion: Int
    /// Header fields in arrival order; names keep their case, lookups ignore it.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The authority (`host[:port]`) of an absolute-form target; nil for origin form.
    public var authority: String?

    public init(method: String, target: String, minorVersion: Int = 1, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                authority: String? = nil) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.body = body
        self.authority = authority
    }

    /// The host the request is for: an absolute-form target's authority, which
    /// overrides the `Host` field (RFC 9112 §3.2.2), else the `Host` field.
    public var host: String? {
        authority ?? header("Host")
    }

    /// The path part of the target, without the query.
    public var path: Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    /// The query part of the target, without the `?`; empty when there is none.
    public var query: Substring {
        guard let mark = target.firstIndex(of: "?") else { return "" }
        return target[target.index(after: mark)...]
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of a header, split on commas as list-valued fields are (RFC 9110 §5.6.1).
    public func headerTokens(_ name: String) -> [Substring] {
        let lowered = name.lowercased()
        return headers.lazy
            .filter { $0.name.lowercased() == lowered }
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingHTTPWhitespace() }
            .filter { !$0.isEmpty }
    }

    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    public var keepAlive: Bool {
        let tokens = headerTokens("Connection").map { $0.lowercased() }
        if minorVersion == 0 { return tokens.contains("keep-alive") }
        return !tokens.contains("close")
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion && lhs.authority == rhs.authority
            && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
            && lhs.body == rhs.body
    }
}

extension Substring {
    /// Drops leading and trailing SP and HTAB (optional whitespace, RFC 9110 §5.6.3).
    func trimmingHTTPWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
