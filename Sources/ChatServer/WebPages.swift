import HTTP

/// The broker's web pages: `GET /` (the demo store page with the chat widget),
/// `/widget.js` and `/widget.css`, `/console` (agents), `/dashboard` (supervisors)
/// and the scripts and styles they load, from the files of the repository's `web/`
/// directory (embedded in the binary by the `WebAssets` target). A file `NAME.html`
/// is served at `/NAME` (`index.html` at `/`), every other file at `/NAME`; nothing
/// else is, so unknown paths fall through to the operator pages and their 404.
/// Immutable after start-up; read on any I/O loop.
public struct WebPages: Sendable {
    struct Page: Sendable {
        let contentType: String
        let etag: String
        let body: [UInt8]
        let isDocument: Bool
    }

    private let pages: [String: Page]

    /// What the HTML pages may load: their own scripts, styles and images (and
    /// `data:` images), WebSockets and fetches to this broker only; no inline script
    /// or style, no plugins, no framing by other sites, no form posts elsewhere.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// No pages (a broker without web clients answers 404 for them).
    public init() { pages = [:] }

    /// Pages from files: `(name in web/, ETag, UTF-8 text)`.
    public init(files: [(name: String, etag: String, text: String)]) {
        var pages: [String: Page] = [:]
        for file in files {
            guard let type = Self.contentType(of: file.name) else { continue }
            let isDocument = file.name.hasSuffix(".html")
            let path = file.name == "index.html" ? "/" : isDocument ? "/" + file.name.dropLast(5) : "/" + file.name
            pages[path] = Page(contentType: type, etag: "\"\(file.etag)\"", body: Array(file.text.utf8), isDocument: isDocument)
        }
        self.pages = pages
    }

    /// The paths served, sorted (for logs and tests).
    public var paths: [String] { pages.keys.sorted() }

    static func contentType(of name: String) -> String? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...] {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml; charset=utf-8"
        case "json": return "application/json"
        case "txt": return "text/plain; charset=utf-8"
        default: return nil
        }
    }

    /// The answer for a web page's path, or nil when the path is not one.
    public func respond(to request: HTTPRequest) -> HTTPResponse? {
        guard let page = pages[String(request.path)] else { return nil }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(.methodNotAllowed, "\(request.path) answers GET only\n", headers: [("Allow", "GET, HEAD")])
        }
        // `no-cache`: the browser may keep a copy but asks each time; the ETag makes
        // the answer a 304 without a body until the binary (and so the file) changes.
        var headers: [(name: String, value: String)] = [
            ("Content-Type", page.contentType),
            ("Cache-Control", "no-cache"),
            ("ETag", page.etag),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if page.isDocument {
            headers.append(("Content-Security-Policy", Self.contentSecurityPolicy))
            headers.append(("Referrer-Policy", "no-referrer"))
        } else {
            // The widget's script and style are loaded by shops on other origins.
            headers.append(("Cross-Origin-Resource-Policy", "cross-origin"))
        }
        if request.ifNoneMatch(page.etag) {
            return HTTPResponse(status: .notModified, headers: headers.filter { $0.name != "Content-Type" })
        }
        // HEAD is answered like GET; the connection leaves the body out.
        return HTTPResponse(status: .ok, headers: headers, body: page.body)
    }
}
