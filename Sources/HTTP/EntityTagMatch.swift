/// `If-None-Match` (RFC 9110 §13.1.2): whether a request's list of entity tags (or
/// `*`) matches the current one, compared weakly (§8.8.3.2: `W/"x"` matches `"x"`).
/// Conditional GETs are how the broker's web pages are revalidated. Pure functions.
extension HTTPRequest {
    /// True when `If-None-Match` is present and names `etag` (a quoted entity tag,
    /// e.g. `"5d7f3d98754ae799"`) or is `*`; the answer is then 304 Not Modified.
    public func ifNoneMatch(_ etag: String) -> Bool {
        let wanted = etag.hasPrefix("W/") ? etag.dropFirst(2) : Substring(etag)
        for field in headers where field.name.lowercased() == "if-none-match" {
            for item in field.value.split(separator: ",") {
                var tag = item.drop { $0 == " " || $0 == "\t" }
                while let last = tag.last, last == " " || last == "\t" { tag = tag.dropLast() }
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
                if tag == wanted { return true }
            }
        }
        return false
    }
}
