/// One entry of the command log: a command and the instants at which it takes effect.
///
/// The times travel with the command because a replica must not read its own clock: an
/// engine's decisions depend on time (offer expiry, grace periods, business hours,
/// waits), so every replica that applies the same entries at the same times takes the
/// same decisions. `at` is the monotonic timeline of the log (every timestamp and
/// deadline); `wall` is civil time (business hours only). A plain value.
///
/// Bytes: `encoded()` and `init(decoding:)` (LoggedCommand+Coding.swift).
public struct LoggedCommand: Hashable, Sendable {
    public var at: Instant
    public var wall: WallTime
    public var command: CenterCommand

    public init(at: Instant, wall: WallTime, command: CenterCommand) {
        self.at = at
        self.wall = wall
        self.command = command
    }

    /// The milliseconds `at` and `wall` may hold: 0 ..< 2^53 (some 285,000 years, and
    /// JSON-safe). Keeping far from `Int64`'s ends means no deadline the engine derives
    /// from a logged time can overflow.
    public static let timeRange: ClosedRange<Int64> = 0...9_007_199_254_740_991

    // Limits of the byte form, in UTF-8 bytes. Each is at least what the wire protocol
    // lets through (ProtocolLimits, counted in code points of at most 4 bytes; the
    // configuration may lower those, never raise them), so a command the glue has
    // checked always fits. The glue must refuse longer text before logging it.

    /// Handles, display names, the short pre-chat fields and FAQ entry ids
    /// (the protocol allows at most 200 code points in any of them).
    public static let maxFieldBytes = 1_024
    /// A pre-chat first message or a left message: 4,000 code points of 4 bytes
    /// (`CenterConfiguration.maxMessageLength` may be at most 4,000).
    public static let maxTextBytes = 16_000
    /// A rating comment: 1,000 code points of 4 bytes (`maxCommentLength` ≤ 1,000).
    public static let maxCommentBytes = 4_000
    /// Skills of one agent, repeats included: as many as the queues a configuration
    /// may have.
    public static let maxSkills = 10_000
}
