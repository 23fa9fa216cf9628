/// How a customer reaches the center. Chat and voice are live and wait in line for an
/// agent; email is a message left for later ("leave a message"); faq is a contact that
/// an FAQ answer resolved before it ever queued (a deflection). A plain value.
public enum Channel: String, Codable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case chat
    case voice
    case email
    case faq

    /// True for the channels that wait in line and occupy an agent.
    public var isLive: Bool { self == .chat || self == .voice }

    public var description: String { rawValue }
}

/// How much live work an agent may hold at once.
///
/// The rule (voice is exclusive): an agent works either on chats or on one call, never
/// both. A call can be given only to an agent holding no chat and no call (offers
/// count as held); while a call is held or offered the agent gets no chat. Up to
/// `chat` chats may be held together. Email messages are handed over outside this
/// capacity, since nobody waits on the line for them. A plain value.
public struct Capacity: Codable, Hashable, Sendable {
    /// Chats held together; at least 0. Default 3.
    public var chat: Int
    /// Calls: 0 (takes no calls) or 1. Default 1.
    public var voice: Int

    public init(chat: Int = 3, voice: Int = 1) {
        self.chat = chat
        self.voice = voice
    }

    /// The slots for one live channel.
    public subscript(channel: Channel) -> Int {
        switch channel {
        case .chat: chat
        case .voice: voice
        case .email, .faq: 0
        }
    }
}
