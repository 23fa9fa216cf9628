/// The stable `code` of an `error` message (protocol/README.md, "Error codes").
///
/// The first group is the protocol's own; the rest are `ChatCore`'s `ChatError` codes
/// with the same wire strings, so the glue maps a domain error with
/// `ErrorCode(rawValue: chatError.code)`. A code is never renamed within
/// `switchboard.v1`. A plain value.
public enum ErrorCode: String, Hashable, Sendable, CaseIterable {
    // The protocol's own.
    case invalidJSON = "invalid_json"
    case unknownType = "unknown_type"
    case unknownField = "unknown_field"
    case missingField = "missing_field"
    case invalidField = "invalid_field"
    case textTooLong = "text_too_long"
    case notAuthenticated = "not_authenticated"
    case authenticationFailed = "authentication_failed"
    case forbidden
    case rateLimited = "rate_limited"
    case unknownSession = "unknown_session"
    case sessionReplaced = "session_replaced"
    case internalError = "internal_error"
    // The domain's (ChatCore.ChatError.code).
    case unknownQueue = "unknown_queue"
    case unknownAgent = "unknown_agent"
    case unknownContact = "unknown_contact"
    case unknownConversation = "unknown_conversation"
    case unknownOffer = "unknown_offer"
    case queueFull = "queue_full"
    case mailboxFull = "mailbox_full"
    case messageTooLong = "message_too_long"
    case commentTooLong = "comment_too_long"
    case notAssigned = "not_assigned"
    case notOffered = "not_offered"
    case invalidState = "invalid_state"
    case invalidChannel = "invalid_channel"
    case conversationOpen = "conversation_open"
    case alreadyRated = "already_rated"
    case invalidRating = "invalid_rating"
    case emptyMessage = "empty_message"
    case agentUnavailable = "agent_unavailable"
    case topicUnattended = "topic_unattended"
    case unavailable

    /// The close code that follows this error when it is fatal. Always fatal:
    /// `not_authenticated`, `authentication_failed`, `session_replaced`;
    /// `rate_limited` only once repeated (the glue decides, README "Error codes").
    public var closeCode: ApplicationCloseCode? {
        switch self {
        case .notAuthenticated: .notAuthenticated
        case .authenticationFailed: .authenticationFailed
        case .rateLimited: .rateLimited
        case .sessionReplaced: .sessionReplaced
        default: nil
        }
    }

    /// Whether an `error` with this code always ends the connection.
    public var isAlwaysFatal: Bool {
        self == .notAuthenticated || self == .authenticationFailed || self == .sessionReplaced
    }
}
