import ChatCore
import ChatProtocol
import Posix

// A cluster's decision events (protocol/cluster.md, "Failures"). Domain thread only.
//
// The node whose command made a decision writes the conversation events the decision
// makes (`agent_joined`, the pre-chat message, `transferred`, `conversation_ended`,
// `rated`); every other node only hears them. Should the asking node die, or lose
// Redis, between the log entry and the write, nobody would write them: a shopper would
// wait for an `agent_joined` that never comes. So each event is named after its log
// entry ("d:ENTRY:N", N counting the conversation's events of that entry: the same on
// every node, since every node tells the same outcome in the same order), and a while
// after the entry every node that follows the conversation makes sure the stream has
// it, writing it if not. The stream's compare-and-set on seqs and the name make that
// safe against a late first writer: whoever comes second finds the event there.

/// An event a decision made, to check for once `due`.
struct DecisionEvent {
    var due: Instant
    var conversation: ConversationID
    var clientID: String
    var recipients: Recipients
    var ts: Int64
    var make: (_ wireID: String, _ seq: Int64, _ ts: Int64) -> ConversationEvent
    var done: (Publication) -> Void
    var attempts = 0
}

extension ServiceDesk {
    /// How long the asking node has to write a decision's events before others check.
    static let decisionEventGrace: Duration = .seconds(2)
    /// Checks of one event before giving up (Redis away, or no party of the conversation
    /// here, that long: about a minute).
    static let decisionEventAttempts = 30

    /// "d:ENTRY:N" while a log entry's outcome is told; nil otherwise (one node).
    func decisionEventID(in conversation: ConversationID) -> String? {
        guard let entry = commands.applyingEntry else { return nil }
        if entry != decisionEntry {
            decisionEntry = entry
            decisionCounts.removeAll(keepingCapacity: true)
        }
        let n = decisionCounts[conversation, default: 0]
        decisionCounts[conversation] = n + 1
        return "d:\(entry):\(n)"
    }

    /// From the tick: the decision events due for a check, each written here if its
    /// conversation's stream still lacks it (and this node follows the conversation).
    func checkDecisionEvents() {
        guard let relay else { return }
        let now = self.now
        while let first = decisionChecks.first, first.due <= now {
            var check = decisionChecks.removeFirst()
            let wireID = wire(check.conversation)
            var made: RecordedEvent?
            relay.ensure(wireID, clientID: check.clientID, recipients: check.recipients.text, ts: check.ts, encode: { seq in
                let event = RecordedEvent(check.make(wireID, seq, check.ts))
                made = event
                return event.bytes
            }) { [self] result in
                switch result {
                case .success(.written(let event)):
                    decisionEventsWritten &+= 1
                    Log.warning("cluster: event \(event.seq) of \(wireID) (\(check.clientID)) was not written by the node that "
                                + "decided it: written here")
                    if let made { check.done(.stored(made)) }
                case .success(.present(seq: nil)):
                    // No party of the conversation is here yet. Both may have been on the
                    // node that died with the decision, and come here after the first
                    // check: until one does (or about a minute has passed), asked again.
                    check.attempts += 1
                    guard check.attempts < Self.decisionEventAttempts else { return }
                    check.due = self.now.advanced(by: Self.decisionEventGrace)
                    decisionChecks.append(check)
                case .success(.present):
                    break
                case .failure(let failure):
                    check.attempts += 1
                    guard check.attempts < Self.decisionEventAttempts else {
                        Log.error("cluster: event \(check.clientID) of \(wireID) could not be checked: \(failure); given up")
                        return
                    }
                    check.due = self.now.advanced(by: Self.decisionEventGrace)
                    decisionChecks.append(check)
                }
            }
        }
    }
}
