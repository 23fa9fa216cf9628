import ChatCore
import ChatProtocol
import Privacy

// Personal numbers masked in client text before anything is stored, relayed, logged
// or exported (protocol/privacy.md). Runs first thing on the domain thread, so every
// later step (transcript, agent, left-message box, rating) only ever sees the masked
// form. Domain thread only.

extension ServiceDesk {
    /// The customer's message with its free text masked, and the kinds found. The
    /// order number and `reply_to` are left as typed: they are fields the shop needs
    /// to act on, not chat text.
    func masked(_ message: CustomerMessage) -> (CustomerMessage, PersonalDataKinds) {
        switch message {
        case .send(var r):
            let (text, found) = masker.mask(r.text)
            r.text = text
            return (.send(r), found)
        case .startChat(var r):
            var found = PersonalDataKinds()
            r.firstMessage = r.firstMessage.map { mask($0, into: &found) }
            r.name = r.name.map { mask($0, into: &found) }
            r.product = r.product.map { mask($0, into: &found) }
            return (.startChat(r), found)
        case .leaveMessage(var r):
            let (text, found) = masker.mask(r.text)
            r.text = text
            return (.leaveMessage(r), found)
        case .rate(var r):
            var found = PersonalDataKinds()
            r.comment = r.comment.map { mask($0, into: &found) }
            return (.rate(r), found)
        default:
            return (message, PersonalDataKinds())
        }
    }

    /// An agent's text is masked too (an agent reading a card number back must not put
    /// it in the transcript); counted, but nobody is told.
    func masked(_ message: AgentMessage) -> AgentMessage {
        guard case .send(var r) = message else { return message }
        let (text, found) = masker.mask(r.text)
        guard !found.isEmpty else { return message }
        metrics.countMasked(found)
        r.text = text
        return .send(r)
    }

    private func mask(_ text: String, into found: inout PersonalDataKinds) -> String {
        let (masked, kinds) = masker.mask(text)
        found.formUnion(kinds)
        return masked
    }

    /// Counts what was masked and tells the customer, once per kind per session, in
    /// the session's language, that it was hidden for their safety.
    func tellMasked(_ found: PersonalDataKinds, to session: CustomerSession, on connection: ConnectionID) {
        metrics.countMasked(found)
        for kind in found.subtracting(session.toldMasked) {
            send(.privacyNotice(PrivacyNotice(kind: MaskedKind(rawValue: kind.rawValue)!,
                                              text: ServiceDesk.maskedNotice(kind, in: session.language))), to: connection)
        }
        session.toldMasked.formUnion(found)
    }

    static func maskedNotice(_ kind: PersonalDataKind, in language: ChatCore.Language) -> String {
        switch language {
        case .en:
            let what = switch kind {
            case .residentNumber: "resident registration number"
            case .cardNumber: "card number"
            case .phoneNumber: "phone number"
            case .bankAccount: "account number"
            case .email: "e-mail address"
            }
            return "For your safety, we hid your \(what) before it was stored or shown to the agent."
        default:
            let what = switch kind {
            case .residentNumber: "주민등록번호를"
            case .cardNumber: "카드 번호를"
            case .phoneNumber: "전화번호를"
            case .bankAccount: "계좌 번호를"
            case .email: "이메일 주소를"
            }
            return "고객님의 안전을 위해 \(what) 가려서 저장하고 상담원에게 전달했어요."
        }
    }
}
