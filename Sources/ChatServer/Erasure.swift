import ChatProtocol

/// A customer's erasure (protocol/README.md, "Records and a customer's rights"): what
/// is served of a conversation's events once an `erased` marker covers them. The
/// customer's words go (message text, rating comment); who joined, transfers, ends and
/// scores stay, so the record of how the contact was handled survives. Stateless.
enum Erasure {
    static let placeholder = "[erased]"

    /// The stored JSON of an event with the customer's words overwritten by `*`, byte
    /// for byte (same length, still valid JSON), for rewriting the record in place;
    /// nil when the event holds none (agents' messages, joins, ends).
    static func scrubbed(_ payload: [UInt8]) -> [UInt8]? {
        guard case .event(let event)? = try? ServerMessage.decode(payload) else { return nil }
        let field: String
        switch event {
        case .message(let m) where m.from == .customer: field = "text"
        case .rated(let r) where r.comment != nil: field = "comment"
        default: return nil
        }
        let needle = Array("\"\(field)\":\"".utf8)
        guard payload.count > needle.count,
              let start = (0...(payload.count - needle.count)).first(where: { payload[$0..<($0 + needle.count)].elementsEqual(needle) })
        else { return nil }
        var out = payload
        var i = start + needle.count
        while i < out.count && out[i] != UInt8(ascii: "\"") {
            let escaped = out[i] == UInt8(ascii: "\\")
            out[i] = UInt8(ascii: "*")
            if escaped && i + 1 < out.count {
                i += 1
                out[i] = UInt8(ascii: "*")
            }
            i += 1
        }
        return out
    }

    static func redacted(_ event: ConversationEvent, through: Int64?) -> ConversationEvent {
        guard let through, event.seq <= through else { return event }
        switch event {
        case .message(var m) where m.from == .customer:
            m.text = placeholder
            return .message(m)
        case .rated(var r):
            r.comment = nil
            return .rated(r)
        default:
            return event
        }
    }
}
