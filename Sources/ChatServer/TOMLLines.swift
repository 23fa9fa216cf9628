/// Where keys and tables sit in a TOML text, for error messages: TOMLKit reports lines
/// for syntax errors only, so once a file has parsed, this scan finds the line of a
/// key path such as `agents[1].secret` or `business_hours`.
///
/// It understands what configuration files use (`[table]`, `[[array.of.tables]]`,
/// `key = value`, comments, multi-line strings) and is only ever used to point at a
/// line; a path it cannot place gives nil. A plain value, built once per file.
struct TOMLLines {
    private var lineOfPath: [String: Int] = [:]

    init(_ text: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        var inMultilineString = false
        // Split on the LF scalar: in a CRLF file Swift's characters are "\r\n" graphemes,
        // which never equal "\n", and the whole file would be one line.
        for (number, raw) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Substring(raw).trimmingSpaces()
            let quotes = line.occurrences(of: "\"\"\"") + line.occurrences(of: "'''")
            if inMultilineString {
                if quotes % 2 == 1 { inMultilineString = false }
                continue
            }
            if line.hasPrefix("[[") {
                let name = String(line.dropFirst(2).prefix { $0 != "]" }).trimmingSpaces()
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                table = "\(TOMLLines.indexed(name, arrayCounts))"
                record(table, number + 1)
                record(name, number + 1)
            } else if line.hasPrefix("[") {
                let name = String(line.dropFirst().prefix { $0 != "]" }).trimmingSpaces()
                table = TOMLLines.indexed(name, arrayCounts)
                record(table, number + 1)
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                var key = String(line[..<equals]).trimmingSpaces()
                if key.hasPrefix("\"") && key.hasSuffix("\"") && key.count >= 2 { key = String(key.dropFirst().dropLast()) }
                if !key.isEmpty, !key.contains(" ") {
                    record(table.isEmpty ? key : "\(table).\(key)", number + 1)
                }
                if quotes % 2 == 1 { inMultilineString = true }
            }
        }
    }

    /// `faq.entries` inside the second `[[faq]]` is `faq[1].entries`: every prefix
    /// that is an array of tables takes its current index.
    private static func indexed(_ name: String, _ counts: [String: Int]) -> String {
        let parts = name.split(separator: ".").map { String($0).trimmingSpaces() }
        var path = ""
        var plain = ""
        for part in parts {
            plain = plain.isEmpty ? part : "\(plain).\(part)"
            path = path.isEmpty ? part : "\(path).\(part)"
            if let count = counts[plain], count > 0 { path += "[\(count - 1)]" }
        }
        return path
    }

    private mutating func record(_ path: String, _ line: Int) {
        if lineOfPath[path] == nil { lineOfPath[path] = line }
    }

    /// The line of `path`, or of the nearest enclosing table that has one.
    func line(of path: String) -> Int? {
        var candidate = path
        while true {
            if let line = lineOfPath[candidate] { return line }
            if let bracket = candidate.lastIndex(of: "["), candidate.hasSuffix("]"),
               !candidate[bracket...].contains(".") {
                // `holidays[2]` (an element of an inline array): the key's line.
                candidate = String(candidate[..<bracket])
                continue
            }
            guard let dot = candidate.lastIndex(of: ".") else { return nil }
            candidate = String(candidate[..<dot])
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }

    fileprivate func occurrences(of needle: String) -> Int {
        var count = 0
        var rest = Substring(self)
        while let range = rest.firstRange(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}
