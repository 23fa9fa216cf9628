import ChatCore
import ChatProtocol
import ChatStorage
import Posix

/// Where conversations' events are kept, numbered by `seq` from 1 with no gaps
/// (protocol/README.md, "Conversations, sequence numbers and delivery"), and how a
/// re-sent client message id is recognised.
///
/// The broker's seam for transcripts: `DiskTranscripts` (a ring spilled to segment
/// files, `ChatStorage`) is what the broker runs; `MemoryTranscripts` serves tests.
/// Called on the domain thread only.
///
/// Conversations are addressed by `ConversationID` while they live in this process;
/// read-back addresses any stored conversation, of this boot or an earlier one, by its
/// `TranscriptKey` (the wire id `c-BOOT-N`, `WireID`).
protocol TranscriptStore: AnyObject {
    /// This run's boot number, part of every conversation's wire id.
    var boot: UInt32 { get }
    /// Takes a cluster's generation as the boot number (before the run's first
    /// conversation): every node then names a conversation alike.
    func adopt(boot: UInt32)
    /// The newest event's seq; 0 before the first.
    func lastSeq(of conversation: ConversationID) -> Int64
    /// The hash-chain link of the newest record of `key` (nil: a store without a chain,
    /// or no record since the chain began): the head an export names.
    func chainHead(of key: TranscriptKey) -> ChainHead?
    /// Appends a marker (an `erased` event) to any stored conversation, of this run or
    /// an earlier one; its seq is `lastSeq(of: key) + 1`.
    func appendMarker(_ event: ConversationEvent, to key: TranscriptKey)
    /// Overwrites the customer's words of `key` up to `through` where they are stored
    /// (`Erasure.scrubbed`); returns the rewritten records for the marker
    /// (`RewrittenRecord.list`), nil when nothing was rewritten.
    func scrub(_ key: TranscriptKey, through: Int64) throws(TranscriptLog.EraseError) -> String?
    /// Records `event`, whose seq is `lastSeq(of:) + 1`; a store that keeps bytes keeps
    /// `event.bytes`, the very bytes its recipients get.
    func append(_ event: RecordedEvent, to conversation: ConversationID)
    /// Records an event a cluster node wrote to Redis and this node heard (the relay),
    /// given as the bytes its recipients get with what its relay frame says of it:
    /// `seq` (`lastSeq(of:) + 1`), `ts`, and a client message's author and id. A store
    /// that keeps bytes keeps them without decoding them.
    func append(relayed bytes: [UInt8], seq: Int64, ts: Int64, client: RelayClientID?, to conversation: ConversationID)
    /// Events after `seq`, oldest first, at most `limit`; `more` when others follow.
    func events(of conversation: ConversationID, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool)
    /// The `message` an author recorded earlier with this client message id.
    func message(in conversation: ConversationID, clientID: String, from author: Author) -> ChatMessage?
    /// Drops a conversation (it left the broker's memory window).
    func forget(_ conversation: ConversationID)

    /// The newest seq of any stored conversation (0: none stored).
    func lastSeq(of key: TranscriptKey) -> Int64
    /// Events of any stored conversation after `seq`, oldest first, at most `limit`.
    func events(of key: TranscriptKey, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool)
    /// Records `event` under `key` (a left message's record, `LeftMessageRecords`);
    /// promised like a client's message: what is sent after it waits for it.
    func append(_ event: RecordedEvent, to key: TranscriptKey)
    /// Every stored key (at start: to find the left messages recovered).
    var storedKeys: [TranscriptKey] { get }

    /// Whether a new client message from `sender` may be recorded now: false while the
    /// disk is behind or failing, and, once the backlog is past half its limit, for a
    /// sender holding more than its share of it (`BacklogShares`; backpressure, nothing
    /// is dropped silently).
    func accepts(from sender: MessageBudgets.Owner) -> Bool
    /// The event appended last was a client message of `sender`'s: its bytes count
    /// against that sender's share of the backlog until they are written.
    func charge(_ sender: MessageBudgets.Owner)
    /// A client message was refused because `accepts` said no (counted for `/healthz`).
    func refusedOne()
    /// Hands what was recorded since the last call towards the disk. Returns the log
    /// position that messages sent since then must wait for (nil: nothing to wait for).
    func commit() -> UInt64?
}

/// A client message's id as the cluster's relay carries it: `c:` or `a:` (its author),
/// then the client's own id. A decision's event carries a decision id instead: no
/// client's message.
struct RelayClientID: Equatable {
    let author: Author
    let id: String

    init(author: Author, id: String) {
        self.author = author
        self.id = id
    }

    init?(_ relayed: String?) {
        guard let relayed else { return nil }
        if relayed.hasPrefix("c:") {
            self.init(author: .customer, id: String(relayed.dropFirst(2)))
        } else if relayed.hasPrefix("a:") {
            self.init(author: .agent, id: String(relayed.dropFirst(2)))
        } else {
            return nil
        }
    }

    /// How the relay carries it.
    var relayed: String { (author == .agent ? "a:" : "c:") + id }
}

extension TranscriptStore {
    func key(_ conversation: ConversationID) -> TranscriptKey { TranscriptKey(boot: boot, number: conversation.rawValue) }

    /// Records an event not sent to anyone (encoded here, once).
    func append(_ event: ConversationEvent, to conversation: ConversationID) {
        append(RecordedEvent(event), to: conversation)
    }

    func append(_ event: ConversationEvent, to key: TranscriptKey) {
        append(RecordedEvent(event), to: key)
    }
}

/// A conversation event and its wire encoding (the `ServerMessage.event` JSON), made
/// once: the transcript store keeps these bytes and every recipient is sent the same
/// array (shared storage, no copy). A plain value.
struct RecordedEvent {
    let event: ConversationEvent
    let bytes: [UInt8]

    init(_ event: ConversationEvent) {
        self.event = event
        bytes = ServerMessage.event(event).encoded()
    }

    /// An event and the bytes it was decoded from (heard from another node).
    init(_ event: ConversationEvent, bytes: [UInt8]) {
        self.event = event
        self.bytes = bytes
    }

    var conversation: String { event.conversation }
    var seq: Int64 { event.seq }
    var ts: Int64 { event.ts }
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
    private(set) var boot: UInt32 = 1

    func adopt(boot: UInt32) { self.boot = boot }

    func append(_ event: RecordedEvent, to key: TranscriptKey) {
        if key.boot == boot { append(event, to: ConversationID(key.number)) }
    }

    var storedKeys: [TranscriptKey] { transcripts.keys.map { key($0) } }
    func accepts(from sender: MessageBudgets.Owner) -> Bool { true }
    func charge(_ sender: MessageBudgets.Owner) {}
    func refusedOne() {}

    func commit() -> UInt64? { nil }
    func chainHead(of key: TranscriptKey) -> ChainHead? { nil }
    /// In memory the redaction in `appendMarker` is the erasure.
    func scrub(_ key: TranscriptKey, through: Int64) throws(TranscriptLog.EraseError) -> String? { nil }

    func appendMarker(_ event: ConversationEvent, to key: TranscriptKey) {
        guard key.boot == boot else { return }
        let conversation = ConversationID(key.number)
        append(event, to: conversation)
        if case .erased(let e) = event, var t = transcripts[conversation] {
            // Nothing on disk to keep for the chain: the words go from memory at once.
            t.events = t.events.map { Erasure.redacted($0, through: e.throughSeq) }
            transcripts[conversation] = t
        }
    }

    func lastSeq(of key: TranscriptKey) -> Int64 {
        key.boot == boot ? lastSeq(of: ConversationID(key.number)) : 0
    }

    func events(of key: TranscriptKey, after seq: Int64, limit: Int) -> (events: [ConversationEvent], more: Bool) {
        key.boot == boot ? events(of: ConversationID(key.number), after: seq, limit: limit) : ([], false)
    }

    var conversationCount: Int { transcripts.count }

    func lastSeq(of conversation: ConversationID) -> Int64 {
        Int64(transcripts[conversation]?.events.count ?? 0)
    }

    /// In memory the events are kept decoded: decoded here.
    func append(relayed bytes: [UInt8], seq: Int64, ts: Int64, client: RelayClientID?, to conversation: ConversationID) {
        guard case .event(let event)? = try? ServerMessage.decode(bytes), event.seq == seq else {
            Log.error("transcripts: a relayed event \(seq) of \(key(conversation)) does not decode; not stored")
            return
        }
        append(RecordedEvent(event, bytes: bytes), to: conversation)
    }

    func append(_ recorded: RecordedEvent, to conversation: ConversationID) {
        let event = recorded.event
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
