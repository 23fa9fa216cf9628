// The protocol's enumerations. Wire strings equal ChatCore's raw values where the
// domain has the same idea (AgentStatus, reasons), so the glue maps by rawValue.

/// A language the product speaks: Korean first, English available.
public enum Language: String, Hashable, Sendable, CaseIterable {
    case ko
    case en
}

/// An agent's availability (ChatCore `AgentStatus`).
public enum AgentStatus: String, Hashable, Sendable, CaseIterable {
    case available
    case away
    case offline
}

/// The live channel of an offer or conversation (ChatCore `Channel.chat`/`.voice`).
public enum Channel: String, Hashable, Sendable, CaseIterable {
    case chat
    case voice
}

/// One side of a conversation, for typing indicators and receipts.
public enum Participant: String, Hashable, Sendable, CaseIterable {
    case customer
    case agent
}

/// Who wrote a `message` event.
public enum Author: String, Hashable, Sendable, CaseIterable {
    case customer
    case agent
    /// The broker itself (greetings, notices).
    case system
}

/// What a receipt reports, cumulatively up to its `seq`.
public enum ReceiptKind: String, Hashable, Sendable, CaseIterable {
    /// The events reached the client.
    case delivered
    /// A person has seen them.
    case read
}

/// Why "leave a message" is offered (ChatCore `LeaveMessageReason`).
public enum LeaveMessageReason: String, Hashable, Sendable, CaseIterable {
    case closed
    case unattended
}

/// Why an offer ended without being accepted (ChatCore `OfferEndReason`).
public enum OfferEndReason: String, Hashable, Sendable, CaseIterable {
    case declined
    case expired
    case customerLeft = "customer_left"
    case agentUnavailable = "agent_unavailable"
}

/// Why a conversation ended (ChatCore `ConversationEndReason`).
public enum ConversationEndReason: String, Hashable, Sendable, CaseIterable {
    case agentEnded = "agent_ended"
    case customerLeft = "customer_left"
    case customerTimedOut = "customer_timed_out"
    case closed
}

/// Why a conversation left its agent (ChatCore `Transfer.Reason`; a return to the
/// queue after the agent left is `agentLeft`).
public enum TransferReason: String, Hashable, Sendable, CaseIterable {
    case requested
    case agentLeft = "agent_left"
}

/// The kind of personal number the broker hid in a customer's text (`privacy_notice`,
/// protocol/privacy.md). Same names as `[privacy]` in the configuration file.
public enum MaskedKind: String, Hashable, Sendable, CaseIterable {
    case rrn
    case card
    case phone
    case account
    case email
}
