import ChatCore
import ChatProtocol

/// Where conversations' events are kept, numbered by `seq` from 1 with no gaps
/// (protocol/README.md, "Conversations, sequence numbers and delivery"), and how a
/// re-sent client message id is recognised.
///
/// The broker's seam for transcripts: `MemoryTranscripts` is the default; the
/// on-disk store of issue 6 (ring buffer spilled to segment files) replaces it
/// without touching the rest of the glue. Called on the domain thread only.
protocol TranscriptStore: AnyObject {
    /// The newest event's seq; 0 before the first.
    func lastSeq(of conversation: ConversationID) -> Int64
    /// Records `event`, whose seq is `lastSeq(of:) + 1`.
    func append(_ event: ConversationEvent, to conversation: ConversationID)
    /// Events after `seq`, oldest first, at most `limit`; `more` when others follow.
    func events(of conversation: ConversationID, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool)
    /// The `message` an author recorded earlier with this client message id.
    func message(in conversation: ConversationID, clientID: String, from author: Author) -> ChatMessage?
    /// Drops a conversation (it left the broker's memory window).
    func forget(_ conversation: ConversationID)
}

/// Transcripts in memory: one event array per conversation and a map of client
/// message ids. Owned by the domain thread.
final class MemoryTranscripts: TranscriptStore {
    private struct Transcript {
        var events: [ConversationEvent] = []
        /// Index in `events` by author and client id.
        var byClientID: [ClientKey: Int] = [:]
    }

    private struct ClientKey: Hashable {
        let author: Author
        let id: String
    }

    private var transcripts: [ConversationID: Transcript] = [:]

    var conversationCount: Int { transcripts.count }

    func lastSeq(of conversation: ConversationID) -> Int64 {
        Int64(transcripts[conversation]?.events.count ?? 0)
    }

    func append(_ event: ConversationEvent, to conversation: ConversationID) {
        precondition(event.seq == lastSeq(of: conversation) + 1, "events are numbered without gaps")
        transcripts[conversation, default: Transcript()].events.append(event)
        if case .message(let m) = event, let id = m.clientID {
            transcripts[conversation]!.byClientID[ClientKey(author: m.from, id: id)] = Int(event.seq - 1)
        }
    }

    func events(of conversation: ConversationID, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool) {
        guard let events = transcripts[conversation]?.events, seq < Int64(events.count) else { return ([], false) }
        let start = Int(max(0, seq))
        let end = min(events.count, start + limit)
        return (Array(events[start..<end]), end < events.count)
    }

    func message(in conversation: ConversationID, clientID: String, from author: Author) -> ChatMessage? {
        guard let t = transcripts[conversation], let index = t.byClientID[ClientKey(author: author, id: clientID)],
              case .message(let m) = t.events[index] else { return nil }
        return m
    }

    func forget(_ conversation: ConversationID) {
        transcripts[conversation] = nil
    }
}
