import ChatCore
import ChatStorage

/// How the domain's ids look on the wire (protocol/README.md, "Encoding"): opaque
/// identifiers `c-B-N` (conversation), `o-N` (offer), `k-N` (contact). Parsing takes
/// exactly what formatting makes, so any other text names nothing. Stateless.
///
/// The domain's numbers restart with the process, but transcripts outlive it: so a
/// conversation's id carries the boot number `B` of the run that made it (the
/// transcript store counts boots, protocol/storage.md), and no two runs share an id.
package enum WireID {
    static func conversation(_ id: ConversationID, boot: UInt32) -> String { "c-\(boot)-\(id.rawValue)" }
    static func conversation(_ key: TranscriptKey) -> String { "c-\(key.boot)-\(key.number)" }
    static func offer(_ id: OfferID) -> String { "o-\(id.rawValue)" }
    static func contact(_ id: ContactID) -> String { "k-\(id.rawValue)" }

    /// The stored conversation `c-B-N` names (of any boot).
    package static func conversation(_ text: String) -> TranscriptKey? {
        guard text.hasPrefix("c-"), let dash = text.utf8.dropFirst(2).firstIndex(of: UInt8(ascii: "-")) else { return nil }
        let bootText = String(text[text.utf8.index(text.startIndex, offsetBy: 2)..<dash])
        guard let boot = number("b-" + bootText, prefix: "b-"), boot <= UInt64(UInt32.max),
              let n = number("c-" + String(text[text.utf8.index(after: dash)...]), prefix: "c-") else { return nil }
        return TranscriptKey(boot: UInt32(boot), number: n)
    }
    static func offer(_ text: String) -> OfferID? { number(text, prefix: "o-").map(OfferID.init) }

    private static func number(_ text: String, prefix: String) -> UInt64? {
        guard text.hasPrefix(prefix) else { return nil }
        let digits = text.utf8.dropFirst(prefix.utf8.count)
        guard !digits.isEmpty, digits.count <= 16, digits.first != UInt8(ascii: "0") || digits.count == 1,
              digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }
}
