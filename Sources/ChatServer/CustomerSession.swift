import ChatCore
import Privacy

/// One customer's session: the token the widget keeps, the connection it is on (if
/// any), and the contact and conversation it is about. It outlives connections:
/// after a drop it waits `customerGracePeriod` for a `hello` with its token, then it
/// is forgotten (`unknown_session`). Owned by the domain thread (`ServiceDesk`).
final class CustomerSession {
    /// The bearer token (never logged).
    let token: String
    var language: ChatCore.Language
    var connection: ConnectionID?
    /// When the last connection dropped; nil while connected.
    var disconnectedAt: Instant?
    /// The current contact, or the last one (for `rate` after the end).
    var contact: ContactID?
    /// The contact's conversation once an agent took it.
    var conversation: ConversationID?
    /// Every conversation of this session, oldest first: whose transcripts its token
    /// may download (protocol/README.md, "Transcript read-back").
    var conversations: [ConversationID] = []
    /// "Leave a message" was offered for `contact` and not used yet.
    var leaveMessageReason: ChatCore.LeaveMessageReason?
    /// The place in line last told to the customer.
    var place: Int?
    /// The estimated wait last told to the customer (ms).
    var estimateMs: Int64?
    /// Kinds of personal numbers the customer has been told were masked (once each).
    var toldMasked = PersonalDataKinds()

    init(token: String, language: ChatCore.Language) {
        self.token = token
        self.language = language
    }
}

/// Who a connection belongs to, once signed in. A plain value (the session is shared
/// by reference on purpose: a resumed connection finds the same session).
enum Binding {
    case customer(CustomerSession)
    case agent(AgentID)
    case supervisor(login: String)
}

/// How far each side has reported `delivered` and `read` in one conversation
/// (receipts are cumulative, so only a higher seq is news). A plain value.
struct ReceiptMarks {
    var customerDelivered: Int64 = 0
    var customerRead: Int64 = 0
    var agentDelivered: Int64 = 0
    var agentRead: Int64 = 0
}
