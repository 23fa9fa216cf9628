import ChatCore

/// How the domain's ids look on the wire (protocol/README.md, "Encoding"): opaque
/// identifiers `c-N` (conversation), `o-N` (offer), `k-N` (contact). Parsing takes
/// exactly what formatting makes, so any other text names nothing. Stateless.
///
/// The numbers restart with the process; transcripts that outlive it (issue 6) will
/// need a boot prefix.
enum WireID {
    static func conversation(_ id: ConversationID) -> String { "c-\(id.rawValue)" }
    static func offer(_ id: OfferID) -> String { "o-\(id.rawValue)" }
    static func contact(_ id: ContactID) -> String { "k-\(id.rawValue)" }

    static func conversation(_ text: String) -> ConversationID? { number(text, prefix: "c-").map(ConversationID.init) }
    static func offer(_ text: String) -> OfferID? { number(text, prefix: "o-").map(OfferID.init) }

    private static func number(_ text: String, prefix: String) -> UInt64? {
        guard text.hasPrefix(prefix) else { return nil }
        let digits = text.utf8.dropFirst(prefix.utf8.count)
        guard !digits.isEmpty, digits.count <= 16, digits.first != UInt8(ascii: "0") || digits.count == 1,
              digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }
}
