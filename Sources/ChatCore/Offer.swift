/// How routing hands a contact to the agent it picked. A plain value.
public enum RoutingMode: Hashable, Sendable {
    /// The contact is assigned at once.
    case direct
    /// The agent is offered the contact and has `timeout` to accept; the offer holds
    /// one of their slots meanwhile. Declined or expired, the contact returns to its
    /// original place in line, and that agent is not offered it again for
    /// `CenterConfiguration.reofferDelay`.
    case offer(timeout: Duration)
}

/// A contact offered to an agent (offer mode). A plain value.
public struct Offer: Codable, Hashable, Sendable {
    public let id: OfferID
    public let contact: ContactID
    public let agent: AgentID
    /// The line the contact came from and returns to if the offer fails.
    public let line: LineID
    public let offeredAt: Instant
    public let expiresAt: Instant
}

/// Why an offer ended without being accepted. A plain value.
public enum OfferEndReason: String, Hashable, Sendable, CaseIterable {
    case declined
    case expired
    /// The customer left or timed out.
    case customerLeft = "customer_left"
    /// The agent went away, offline, or lost their connection.
    case agentUnavailable = "agent_unavailable"
}
