import ChatProtocol

/// A customer's erasure (protocol/README.md, "Records and a customer's rights"): what
/// is served of a conversation's events once an `erased` marker covers them. The
/// customer's words go (message text, rating comment); who joined, transfers, ends and
/// scores stay, so the record of how the contact was handled survives. Stateless.
enum Erasure {
    static let placeholder = "[erased]"

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
