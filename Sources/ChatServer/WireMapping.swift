import ChatCore
import ChatProtocol

// ChatCore's values as ChatProtocol's: the two modules share wire strings (the
// protocol's enumerations have ChatCore's raw values), so each mapping goes through
// `rawValue` and cannot drift silently: a missing case fails the build or a test.

extension ChatProtocol.AgentStatus {
    init(_ status: ChatCore.AgentStatus) { self.init(rawValue: status.rawValue)! }  // same cases (ErrorCodeTests)
}

extension ChatCore.AgentStatus {
    init(_ status: ChatProtocol.AgentStatus) { self.init(rawValue: status.rawValue)! }  // same cases
}

extension ChatProtocol.Language {
    init(_ language: ChatCore.Language) { self.init(rawValue: language.rawValue)! }  // ko, en in both
}

extension ChatCore.Language {
    init(_ language: ChatProtocol.Language) { self.init(rawValue: language.rawValue)! }  // ko, en in both
}

extension ChatProtocol.Channel {
    /// Offers and conversations are live: chat or voice.
    init(_ channel: ChatCore.Channel) { self = channel == .voice ? .voice : .chat }
}

extension ChatProtocol.LeaveMessageReason {
    init(_ reason: ChatCore.LeaveMessageReason) { self.init(rawValue: reason.rawValue)! }  // closed, unattended
}

extension ChatProtocol.OfferEndReason {
    init(_ reason: ChatCore.OfferEndReason) { self.init(rawValue: reason.rawValue)! }  // same four
}

extension ChatProtocol.ConversationEndReason {
    init(_ reason: ChatCore.ConversationEndReason) { self.init(rawValue: reason.rawValue)! }  // same four
}

extension AgentCapacity {
    init(_ capacity: ChatCore.Capacity) { self.init(chat: capacity.chat, voice: capacity.voice) }
}

extension ErrorCode {
    /// The wire code of a domain error (every `ChatError` code is an `ErrorCode`;
    /// ChatProtocolTests checks it).
    init(_ error: ChatError) { self = ErrorCode(rawValue: error.code) ?? .internalError }
}

extension CustomerCard {
    /// The pre-chat form as an agent sees it; empty fields are left out.
    init(_ contact: Contact) {
        let p = contact.preChat
        self.init(language: ChatProtocol.Language(contact.language),
                  name: p.customerName.isEmpty ? nil : p.customerName,
                  orderNumber: p.orderNumber.isEmpty ? nil : p.orderNumber,
                  product: p.product.isEmpty ? nil : p.product,
                  firstMessage: p.firstMessage.isEmpty ? nil : p.firstMessage)
    }
}

extension AgentState {
    init(_ agent: Agent, connected: Bool) {
        self.init(handle: agent.handle, name: agent.displayName, status: ChatProtocol.AgentStatus(agent.status),
                  connected: connected, capacity: AgentCapacity(agent.capacity),
                  chats: agent.heldChats, calls: agent.heldCalls)
    }
}
