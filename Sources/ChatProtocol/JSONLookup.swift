/// Numbers read out of a JSON document by key path, for tools that cross-check the
/// broker's own JSON (the load tester reading `GET /v1/stats`). Parsed by the strict
/// reader, which is fuzzed (`FuzzProtocol`). Stateless.
package enum JSONLookup {
    /// The number at `path` (object keys, or array indexes written as decimal) in the
    /// JSON object `text`; nil when the text is not a JSON object, the path leads
    /// nowhere or ends on something else than a number.
    package static func number(_ path: [String], in text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard let root = try? bytes.withUnsafeBytes({ buffer throws(ProtocolError) in try JSONReader.object(from: buffer) }) else {
            return nil
        }
        var value = JSONValue.object(root)
        for key in path {
            switch value {
            case .object(let object):
                guard let next = object[key] else { return nil }
                value = next
            case .array(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                value = items[index]
            default:
                return nil
            }
        }
        if case .number(let n) = value { return n.double }
        return nil
    }
}
