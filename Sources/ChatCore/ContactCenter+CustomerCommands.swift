// Commands that come from customers (through the chat widget or a phone gateway).
// The rules live in CenterState+Customers.swift.

extension ContactCenter {
    /// A customer asks for help.
    ///
    /// - chat whose first message matches the FAQ: `.faqSuggested`; the customer then
    ///   calls `resolveWithFAQ` or `continueAfterFAQ`.
    /// - chat or voice while the center is closed, or nobody on duty serves the queue:
    ///   the contact ends at once, abandoned (`closed`), with `.leaveMessageOffered`.
    /// - chat or voice otherwise: `.queued` with the place in line, then routing
    ///   (`.assigned`, or `.offered` in offer mode, when an agent has room).
    /// - email: `preChat.firstMessage` is stored for agents (`.messageStored`) and
    ///   handed to an available agent of the queue at once or when one comes on duty.
    ///
    /// Throws `unknown_queue`; `invalid_channel` for faq; `queue_full` (counted; no
    /// contact is made); for email `empty_message`, `message_too_long`, `mailbox_full`.
    public func customerArrives(_ request: ContactRequest) throws(ChatError) -> (contact: ContactID, notices: [Notice]) {
        tick()
        return try state.customerArrives(request)
    }

    /// "This solved it": the contact ends as deflected (channel `.faq`), crediting FAQ
    /// entry `entryID` (default: the best suggestion). Throws `unknown_contact`,
    /// `invalid_state` unless FAQ answers are open.
    public func resolveWithFAQ(_ contact: ContactID, entryID: String? = nil) throws(ChatError) -> [Notice] {
        tick()
        return try state.resolveWithFAQ(contact, entryID: entryID)
    }

    /// "No, I need an agent": the contact goes on as if it had arrived without FAQ
    /// answers. Throws `unknown_contact`, `invalid_state`, `queue_full` (the contact
    /// keeps its FAQ answers and may try again or leave).
    public func continueAfterFAQ(_ contact: ContactID) throws(ChatError) -> [Notice] {
        tick()
        return try state.continueAfterFAQ(contact)
    }

    /// Leaves a message after being closed out (`.leaveMessageOffered`): a new `.email`
    /// contact with the same queue and pre-chat data, linked by `Contact.follows`. One
    /// per closed-out contact. Throws `unknown_contact`, `invalid_state`,
    /// `empty_message`, `message_too_long`, `mailbox_full`. `replyTo`: where the
    /// customer wants the answer (`Contact.replyTo`).
    public func leaveMessage(after contact: ContactID, text: String, replyTo: String? = nil) throws(ChatError)
        -> (contact: ContactID, notices: [Notice]) {
        tick()
        return try state.leaveMessage(after: contact, text: text, replyTo: replyTo)
    }

    /// Puts back a message left before a restart (its record was recovered from the
    /// transcript store): a new `.email` contact, stored or handed to an available agent
    /// as `leaveMessage` does. Never refused: the customer was told it was received. A
    /// queue that is not configured (any more) is taken to be the first queue.
    public func restoreMessage(_ request: ContactRequest, text: String) -> (contact: ContactID, notices: [Notice]) {
        tick()
        return state.restoreMessage(request, text: text)
    }

    /// The customer leaves: a contact in FAQ, in line or offered ends abandoned (`left`);
    /// one with a conversation ends it (`customer_left`). Harmless on an ended contact
    /// or a stored message. Throws `unknown_contact`.
    public func customerLeaves(_ contact: ContactID) throws(ChatError) -> [Notice] {
        tick()
        return try state.customerLeaves(contact)
    }

    /// The customer's connection dropped. The contact keeps its place (or its
    /// conversation) for `customerGracePeriod` and is not routed meanwhile: those
    /// behind it may be served by agents who free up (nobody waits for an empty
    /// chair), and on its return it is first again. After the grace period it ends
    /// as timed out (abandoned `timed_out`, or conversation `customer_timed_out`).
    /// Harmless when already disconnected, ended, or a stored message.
    /// Throws `unknown_contact`.
    public func customerDisconnected(_ contact: ContactID) throws(ChatError) -> [Notice] {
        tick()
        return try state.customerDisconnected(contact)
    }

    /// The customer is back within the grace period (the glue has checked their session
    /// token): the contact resumes where it was, and is routed if waiting. Throws
    /// `unknown_contact`, `invalid_state` once the contact has ended.
    public func customerReconnected(_ contact: ContactID) throws(ChatError) -> [Notice] {
        tick()
        return try state.customerReconnected(contact)
    }

    /// Rates an ended conversation, once, by its own customer: `score` 1...5 and an
    /// optional comment (empty means none). Throws `unknown_conversation` (also for
    /// another customer's), `invalid_rating`, `conversation_open`, `already_rated`,
    /// `comment_too_long`.
    public func rate(_ conversation: ConversationID, by contact: ContactID, score: Int, comment: String? = nil) throws(ChatError) -> [Notice] {
        tick()
        return try state.rate(conversation, by: contact, score: score, comment: comment)
    }
}
