/// One topic queue. A plain value.
public struct QueueConfiguration: Hashable, Sendable {
    /// Stable machine name (wire, config, metrics), e.g. `orders`.
    public var key: String
    /// Name shown to people, in Korean.
    public var name: String
    /// Name shown in English.
    public var englishName: String
    /// The most contacts waiting in this queue (chat and voice together); arrivals past
    /// it are rejected with `queue_full`. Contacts returning to the line (declined
    /// offers, agents leaving) are let in past it, since they already had a place.
    public var maxWaiting: Int

    public init(key: String, name: String, englishName: String = "", maxWaiting: Int = 1_000) {
        self.key = key
        self.name = name
        self.englishName = englishName.isEmpty ? key : englishName
        self.maxWaiting = maxWaiting
    }
}

/// Everything the engine is configured with; every field has a default, so
/// `CenterConfiguration()` runs. A plain value, read once by `ContactCenter.init`.
public struct CenterConfiguration: Sendable {
    /// The topic queues from the customer-center guide.
    public static let defaultQueues: [QueueConfiguration] = [
        QueueConfiguration(key: "orders", name: "주문/배송", englishName: "Orders and delivery"),
        QueueConfiguration(key: "returns", name: "취소/반품/환불", englishName: "Cancellations, returns and refunds"),
        QueueConfiguration(key: "products", name: "상품 문의", englishName: "Product questions"),
        QueueConfiguration(key: "other", name: "기타", englishName: "Other"),
    ]

    public var queues: [QueueConfiguration] = CenterConfiguration.defaultQueues
    public var routing: RoutingMode = .direct
    /// After an agent declines or lets expire an offer, or transfers a conversation
    /// away, that agent is not given the same contact again for this long (other
    /// agents may take it at once).
    public var reofferDelay: Duration = .seconds(60)
    /// How long a customer whose connection dropped keeps their place (or their
    /// conversation) before the contact ends as timed out.
    public var customerGracePeriod: Duration = .seconds(60)
    /// How long an agent whose connection dropped keeps their conversations before
    /// going offline, which returns those conversations to the front of their queues.
    public var agentGracePeriod: Duration = .seconds(30)
    public var businessHours: BusinessHours = .alwaysOpen
    public var faqEntries: [FAQEntry] = []
    /// Lowest FAQ score (0...1) worth suggesting.
    public var faqThreshold: Double = 0.35
    /// Most FAQ answers suggested at once.
    public var faqSuggestionLimit: Int = 3
    /// Most left messages waiting for an agent, all queues together (`mailbox_full`).
    public var maxPendingMessages: Int = 10_000
    /// Longest left message, in characters (`message_too_long`).
    public var maxMessageLength: Int = 4_000
    /// Longest rating comment, in characters (`comment_too_long`).
    public var maxCommentLength: Int = 1_000
    /// Ended contacts (and their conversations) kept readable, newest first; older ones
    /// are forgotten (the transcript store keeps the history).
    public var endedContactsKept: Int = 10_000

    public init() {}

    func validate() throws(ChatError) {
        guard !queues.isEmpty else { throw .invalidConfiguration("at least one queue is needed") }
        guard queues.count <= 10_000 else { throw .invalidConfiguration("too many queues") }
        var keys = Set<String>()
        for q in queues {
            guard !q.key.isEmpty else { throw .invalidConfiguration("a queue has an empty key") }
            guard keys.insert(q.key).inserted else { throw .invalidConfiguration("queue key '\(q.key)' repeats") }
            guard q.maxWaiting >= 0 else { throw .invalidConfiguration("queue '\(q.key)': maxWaiting < 0") }
        }
        if case .offer(let timeout) = routing, timeout <= .zero {
            throw .invalidConfiguration("offer timeout must be positive")
        }
        for (name, d) in [("reofferDelay", reofferDelay), ("customerGracePeriod", customerGracePeriod),
                          ("agentGracePeriod", agentGracePeriod)] where d < .zero {
            throw .invalidConfiguration("\(name) must not be negative")
        }
        guard (0...1).contains(faqThreshold) else { throw .invalidConfiguration("faqThreshold must be in 0...1") }
        guard faqSuggestionLimit >= 0, maxPendingMessages >= 0, maxMessageLength > 0, maxCommentLength >= 0,
              endedContactsKept >= 0 else {
            throw .invalidConfiguration("limits must not be negative")
        }
        var faqIDs = Set<String>()
        for entry in faqEntries where !faqIDs.insert(entry.id).inserted {
            throw .invalidConfiguration("FAQ id '\(entry.id)' repeats")
        }
    }
}
