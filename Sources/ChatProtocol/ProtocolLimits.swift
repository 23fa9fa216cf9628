/// The protocol's hard bounds (protocol/README.md, "Limits"); the schema states the
/// same numbers. The configuration may lower the text limits, never raise them.
public enum ProtocolLimits {
    /// Chat message, left message and pre-chat first message, in Unicode code points.
    public static let maxTextLength = 4_000
    /// Rating comment, in code points.
    public static let maxCommentLength = 1_000
    public static let maxNameLength = 100
    public static let maxOrderNumberLength = 64
    public static let maxProductLength = 200
    public static let maxReplyToLength = 254
    public static let maxIdentifierLength = 64
    /// Objects and arrays nested deeper than this are `invalid_json`.
    public static let maxDepth = 32
    /// Events in one `history` message.
    public static let maxHistoryEvents = 200
    public static let maxFAQSuggestions = 10
    /// Canned replies in an agent's `welcome`, and the length of each in code points.
    public static let maxCannedReplies = 50
    public static let maxCannedReplyLength = 1_000
    /// The largest integer on the wire: 2^53 − 1, exact in JavaScript.
    public static let maxInteger: Int64 = 9_007_199_254_740_991
}
