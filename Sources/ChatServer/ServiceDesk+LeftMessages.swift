import ChatCore
import ChatProtocol
import ChatStorage
import Posix

// Left messages as records (protocol/README.md, "Left messages"): a message a customer
// leaves is written to the transcript store, as `message_left` under a key of its own
// (wire id `m-BOOT-N`), before the customer is told it was received; when an agent is
// handed it, an `agent_joined` follows. At start every record without that second
// event goes back into its queue's mailbox, so a restart or a crash loses none.

/// Where left messages live among the transcript keys: the run's boot and the
/// message's number in that run (1, 2, …) with bit 62 set, beyond any conversation
/// number (a slab index and its generation, each 32 bits at most, never reach it).
/// Stateless.
enum LeftMessageRecords {
    static let base: UInt64 = 1 << 62

    static func key(boot: UInt32, number: UInt64) -> TranscriptKey {
        TranscriptKey(boot: boot, number: base | number)
    }

    static func isLeftMessage(_ key: TranscriptKey) -> Bool { key.number & base != 0 }

    /// `m-BOOT-N`, N being the contact's number in the run that took the message.
    static func wireID(_ key: TranscriptKey) -> String { "m-\(key.boot)-\(key.number & ~base)" }

    /// The wire id of any stored key: `m-BOOT-N` for a left message, `c-BOOT-N` otherwise.
    static func anyWireID(_ key: TranscriptKey) -> String {
        isLeftMessage(key) ? wireID(key) : WireID.conversation(key)
    }

    /// The key of `c-BOOT-N` or `m-BOOT-N`, or nil.
    static func anyKey(_ text: String) -> TranscriptKey? {
        WireID.conversation(text) ?? key(text)
    }

    /// The key `m-BOOT-N` names, or nil.
    static func key(_ text: String) -> TranscriptKey? {
        guard text.hasPrefix("m-"), let conversation = WireID.conversation("c-" + text.dropFirst(2)),
              conversation.number < base else { return nil }
        return TranscriptKey(boot: conversation.boot, number: base | conversation.number)
    }
}

extension ServiceDesk {
    /// Records a message just left (`contact` is its new e-mail contact). Called before
    /// the notices that tell the customer, so that their `message_stored` and `ack`
    /// wait for the record as the fsync policy says.
    func recordLeftMessage(_ contact: ContactID, text: String, replyTo: String?, requestID: String?) {
        guard let c = center.contact(contact) else { return }
        leftMessagesRecorded += 1
        let key = LeftMessageRecords.key(boot: transcripts.boot, number: leftMessagesRecorded)
        let event = ConversationEvent.messageLeft(MessageLeft(
            conversation: LeftMessageRecords.wireID(key), seq: 1, ts: nowTS, queue: self.key(of: c.queue), text: text,
            replyTo: replyTo, customer: CustomerCard(c), clientID: requestID))
        transcripts.append(RecordedEvent(event), to: key)
        leftMessageKeys[contact] = key
    }

    /// The agent was handed the message: `agent_joined` closes its record.
    func leftMessageHandedOver(_ contact: ContactID, to agent: AgentID) {
        guard let key = leftMessageKeys.removeValue(forKey: contact) else { return }
        let event = ConversationEvent.agentJoined(AgentJoined(conversation: LeftMessageRecords.wireID(key), seq: 2, ts: nowTS,
                                                              agentName: name(of: agent)))
        transcripts.append(RecordedEvent(event), to: key)
        leftAt[contact] = nil
    }

    /// At start: every recovered message no agent was handed goes back to its mailbox.
    /// A record whose queue is no longer configured goes to the first queue (logged).
    func restoreLeftMessages() {
        var restored = 0
        for record in transcripts.storedKeys.sorted(by: { ($0.boot, $0.number) < ($1.boot, $1.number) })
        where LeftMessageRecords.isLeftMessage(record) && transcripts.lastSeq(of: record) == 1 {
            guard case .messageLeft(let m)? = transcripts.events(of: record, after: 0, limit: 1).events.first else { continue }
            var queue = center.queueID(forKey: m.queue)
            if queue == nil {
                Log.warning("left message \(m.conversation): queue \(m.queue) is not configured; it goes to \(key(of: QueueID(0)))")
                queue = QueueID(0)
            }
            let preChat = PreChat(customerName: m.customer.name ?? "", orderNumber: m.customer.orderNumber ?? "",
                                  product: m.customer.product ?? "", firstMessage: m.customer.firstMessage ?? "")
            let request = ContactRequest(queue: queue!, channel: .email, language: ChatCore.Language(m.customer.language),
                                         preChat: preChat)
            perform(.restoreMessage(request, text: m.text)) { [self] outcome in
                guard case .applied(let notices, .contact(let contact)?) = outcome else { return }
                leftMessageKeys[contact] = record
                leftAt[contact] = m.ts
                if let r = m.replyTo { replyTo[contact] = r }
                apply(notices)
            }
            restored += 1
        }
        if restored > 0 { Log.info("left messages: \(restored) recovered from the transcript store, waiting for agents") }
    }
}
