/// Every way a command to the core can fail. The one error type of `ChatCore`.
///
/// Each case has a stable `code` (snake_case ASCII) that the wire protocol exposes as
/// is; changing a code is a protocol change. `message` is for people and logs and
/// may change. Values only; any thread may hold them.
public enum ChatError: Error, Hashable, Sendable, CustomStringConvertible {
    // Unknown references.
    case unknownQueue
    case unknownAgent
    case unknownContact
    case unknownConversation
    case unknownOffer
    // Limits (habit 3: every buffer has one).
    case queueFull
    case mailboxFull
    case messageTooLong
    case commentTooLong
    // Who may do what.
    case notAssigned
    case notOffered
    // When things may be done.
    case invalidState(String)
    case invalidChannel
    case conversationOpen
    case alreadyRated
    case invalidRating
    case emptyMessage
    case agentUnavailable
    case topicUnattended
    // Reaching the centre: a cluster node that cannot get a command to the routing
    // lease holder in time (never thrown by the engine itself; its command path says so).
    case unavailable
    // Configuration.
    case duplicateAgent
    case unknownTimeZone(String)
    case invalidConfiguration(String)

    /// The stable wire code.
    public var code: String {
        switch self {
        case .unknownQueue: "unknown_queue"
        case .unknownAgent: "unknown_agent"
        case .unknownContact: "unknown_contact"
        case .unknownConversation: "unknown_conversation"
        case .unknownOffer: "unknown_offer"
        case .queueFull: "queue_full"
        case .mailboxFull: "mailbox_full"
        case .messageTooLong: "message_too_long"
        case .commentTooLong: "comment_too_long"
        case .notAssigned: "not_assigned"
        case .notOffered: "not_offered"
        case .invalidState: "invalid_state"
        case .invalidChannel: "invalid_channel"
        case .conversationOpen: "conversation_open"
        case .alreadyRated: "already_rated"
        case .invalidRating: "invalid_rating"
        case .emptyMessage: "empty_message"
        case .agentUnavailable: "agent_unavailable"
        case .topicUnattended: "topic_unattended"
        case .unavailable: "unavailable"
        case .duplicateAgent: "duplicate_agent"
        case .unknownTimeZone: "unknown_time_zone"
        case .invalidConfiguration: "invalid_configuration"
        }
    }

    /// A sentence for people and logs (English; the clients localise by `code`).
    public var message: String {
        switch self {
        case .unknownQueue: "No queue has that id or key."
        case .unknownAgent: "No agent has that id or handle."
        case .unknownContact: "No contact has that id (it may have ended long ago)."
        case .unknownConversation: "No conversation has that id (it may have ended long ago)."
        case .unknownOffer: "No open offer has that id; it may have expired or been withdrawn."
        case .queueFull: "The queue is at its length limit; try again later or leave a message."
        case .mailboxFull: "Too many messages are waiting for agents; try again later."
        case .messageTooLong: "The message is longer than the configured limit."
        case .commentTooLong: "The rating comment is longer than the configured limit."
        case .notAssigned: "That conversation is not assigned to this agent."
        case .notOffered: "That offer was made to another agent."
        case .invalidState(let detail): "Not possible now: \(detail)."
        case .invalidChannel: "That channel cannot be requested here."
        case .conversationOpen: "The conversation has not ended yet."
        case .alreadyRated: "The conversation has already been rated."
        case .invalidRating: "A rating is a whole number from 1 to 5."
        case .emptyMessage: "The message is empty."
        case .agentUnavailable: "That agent cannot take the conversation now."
        case .topicUnattended: "No agent on duty serves that queue."
        case .unavailable: "The contact centre cannot be reached from here just now; the request may not have been carried out. Try again shortly."
        case .duplicateAgent: "An agent with that handle already exists."
        case .unknownTimeZone(let name): "Unknown time zone '\(name)'."
        case .invalidConfiguration(let detail): "Invalid configuration: \(detail)."
        }
    }

    public var description: String { "\(code): \(message)" }

    /// One example of every case, for tables and tests (every code appears once).
    public static let allExamples: [ChatError] = [
        .unknownQueue, .unknownAgent, .unknownContact, .unknownConversation, .unknownOffer,
        .queueFull, .mailboxFull, .messageTooLong, .commentTooLong, .notAssigned, .notOffered,
        .invalidState(""), .invalidChannel, .conversationOpen, .alreadyRated, .invalidRating,
        .emptyMessage, .agentUnavailable, .topicUnattended, .unavailable, .duplicateAgent,
        .unknownTimeZone(""), .invalidConfiguration(""),
    ]
}
