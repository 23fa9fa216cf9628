import ChatCore
import ChatStorage
import Privacy

/// Everything `switchboard serve` is configured with beyond the transport flags:
/// the contact center (queues, routing, grace periods, hours, FAQ), who may sign in,
/// and the broker's own limits. Every field has a default, so
/// `BrokerConfiguration()` serves. Read from a TOML file by `ConfigurationFile`
/// (protocol/configuration.md). A plain value, read once at start-up.
public struct BrokerConfiguration: Sendable {
    public var center = CenterConfiguration()
    public var agents: [AgentAccount] = []
    public var supervisors: [SupervisorAccount] = []
    public var limits = BrokerLimits()
    /// Wait statistics: service-level threshold, sliding window, estimator window.
    public var statistics = StatisticsConfiguration()
    /// Browser origins allowed to open the WebSockets (`Origin` header); empty: any.
    public var allowedOrigins: [String] = []
    /// The agent console's one-click replies (`[console] canned_replies`), sent in
    /// each agent's `welcome`.
    public var cannedReplies: [String] = []
    /// The web clients served at `/`, `/widget.js`, `/console`, `/dashboard` (the
    /// executable passes the embedded `web/` files; none by default).
    public var webPages = WebPages()
    /// The transcript store (`[transcripts]`; the directory comes from `serve --data-dir`).
    public var transcripts = StorageConfiguration(directory: "./data/transcripts")
    /// The kinds of personal numbers masked in customers' and agents' text before it is
    /// stored or relayed (`[privacy]`, protocol/privacy.md); all by default.
    public var maskedKinds = PersonalDataKinds.all
    /// Several nodes on one Redis (`[cluster]`, `serve --cluster`); none by default.
    public var cluster = ClusterConfiguration()

    public init() {}
}

/// An agent who may sign in on /v1/ws/agent. A plain value.
public struct AgentAccount: Sendable {
    /// The login, also the handle other agents transfer to.
    public var handle: String
    public var name: String
    /// Queue keys the agent serves.
    public var skills: [String]
    public var capacity: Capacity
    /// `SecretHash.encoded`; the secret itself is never stored.
    public var secret: String

    public init(handle: String, name: String, skills: [String], capacity: Capacity = Capacity(), secret: String) {
        self.handle = handle
        self.name = name
        self.skills = skills
        self.capacity = capacity
        self.secret = secret
    }
}

/// A supervisor who may sign in on /v1/ws/supervisor. A plain value.
public struct SupervisorAccount: Sendable {
    public var login: String
    public var name: String
    public var secret: String

    public init(login: String, name: String, secret: String) {
        self.login = login
        self.name = name
        self.secret = secret
    }
}

/// The broker's limits on clients (habit 3: every buffer has one). A plain value.
public struct BrokerLimits: Sendable, Hashable {
    /// Client messages per second (token bucket rate), 1...1000: per connection, and
    /// per customer session or staff account across its connections (MessageRate).
    public var maxMessagesPerSecond = 20
    /// The bucket's size: how many messages may come at once.
    public var messageBurst = 40
    /// Client messages per second from one client address, all its connections and
    /// sessions together (burst: twice that); 0, the default, is no limit, because
    /// behind a proxy every client shares the proxy's address.
    public var maxMessagesPerSecondPerAddress = 0
    /// Bytes of `history` answers to `fetch_history` per second per customer session or
    /// staff account (burst: 16 seconds' worth); 0: no limit. MessageBudgets.swift.
    public var historyBytesPerSecond = 256 * 1024
    /// Open connections per client IP address (0: no limit); past it, 429.
    public var maxConnectionsPerAddress = 0
    /// Ended conversations whose client message ids (for deduplication) the broker
    /// still remembers (oldest go first). The events themselves are in the transcript
    /// store, whose memory is bounded by its ring budget.
    public var transcriptsKept = 2_000
    /// Events kept per conversation; a `send` past it is refused (`invalid_state`).
    public var maxEventsPerConversation = 2_000
    /// Customer sessions held at once (connected or in their grace period); a new
    /// session past it is refused with `internal_error` and logged.
    public var maxSessions = 100_000
    /// Failed staff sign-ins (wrong login or secret) per client address per minute
    /// before that address must wait out the minute (0: no limit). SignInThrottle.swift.
    public var failedSignInsPerMinute = 20
    /// Staff sign-ins that may wait for the sign-in thread's hash in its general lane
    /// (a returning account and address has a lane of its own; fewer wait when the
    /// recent hashes would not finish in time); past it a sign-in is refused at once
    /// as busy. The default is about what one core hashes at the
    /// default 210,000 iterations within the request timeout (64 × ~80 ms ≈ 5 s), and
    /// leaves room for a whole team signing in at once. SignInQueue.swift.
    public var signInQueue = 64

    public init() {}
}
