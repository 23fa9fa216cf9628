import DequeModule
import EventLoop
import Posix
import Redis
import RedisClient

/// The events of assigned conversations between nodes, through Redis and off the
/// routing path (protocol/cluster.md, "Relay between nodes"). On one event loop, its
/// thread only.
///
/// Each conversation is a stream `PREFIX:conv:ID` whose entry ids are `0-SEQ`: the
/// protocol's per-conversation sequence numbers (1, 2, 3, … without gaps) are the stream
/// ids themselves. A node appends the next event with `XADD … 0-(last + 1)`, which Redis
/// refuses if any node got that number first: a compare-and-set without a script.
/// Then it publishes the entry on the relay's channel, where every node listens and
/// keeps what concerns the conversations it follows: the entries a node stores during
/// one loop iteration go out in one `PUBLISH` at its end (`RelayBatch`), so an event
/// costs one `XADD` and a share of a `PUBLISH`, pipelined; on the rare refusal the node
/// reads the stream's top and tries the next number.
///
/// A node has at most one append in flight per conversation: were two in flight and the
/// first refused, the second could take a number past a gap. What a node knows of the
/// top comes only from accepted appends, so it is never ahead of Redis.
///
/// Duplicates (a client resending a message whose ack it missed, perhaps to another
/// node) are found among the conversation's recent client message ids, which a node
/// learns from the stream when it starts to follow a conversation and from every event
/// published after.
///
/// Pub/Sub delivers at most once, so the stream is the truth: a node hands on every
/// event of a followed conversation exactly once and in seq order from the moment it
/// followed it. An event that arrives past a gap (a message lost while the subscriber
/// link was down, say) waits while the missing ones are read from the stream, and when
/// the subscriber link comes back every followed conversation is read from where it was.
package final class ConversationRelay: Flushable {
    /// One event of a conversation as stored and published.
    package struct Event: Equatable {
        package var seq: Int64
        /// The sender's client message id, for deduplication (nil for events the
        /// broker makes: joins, transfers, ends).
        package var clientID: String?
        /// The event as clients get it (JSON with `seq` in it).
        package var bytes: [UInt8]
        /// Whom the event is for, as the writer saw it (opaque here: the desk's
        /// `Recipients` text), so that every node hands it to the same people.
        package var recipients: String
        /// The event's `ts` as the writer stamped it (0: not told; entries of earlier
        /// versions), so that a listener can store the event without decoding it.
        package var ts: Int64

        package init(seq: Int64, clientID: String?, bytes: [UInt8], recipients: String = "", ts: Int64 = 0) {
            self.seq = seq
            self.clientID = clientID
            self.bytes = bytes
            self.recipients = recipients
            self.ts = ts
        }
    }

    /// What an append gave.
    package enum Appended: Equatable {
        case stored(Event)
        /// The client id was already in the conversation: the event stored then.
        case duplicate(seq: Int64)
    }

    private struct Pending {
        var clientID: String?
        var recipients: String
        var ts: Int64
        var encode: (Int64) -> [UInt8]
        var completion: (Result<Appended, RedisFailure>) -> Void
    }

    /// What this node knows of one conversation it follows. A class: changed in place
    /// where it is kept (a struct taken out of `followed` and changed copied its recent
    /// ids and early events on every event, hundreds of entries in a long conversation).
    private final class Followed {
        var top: Int64 = 0
        /// Recent client ids and their seqs, oldest first, at most `recentIDs`.
        var recent: Deque<(String, Int64)> = []
        var recentSet: [String: Int64] = [:]
        var appending = false
        /// This node's last append, while more wait behind it: the next one waits until
        /// it is heard back on the channel (`pacedSince` is when it began to wait).
        var pacedOn: Int64 = 0
        var pacedSince: UInt64 = 0
        var queue: Deque<Pending> = []
        var loaded = false
        /// The last seq handed on (`eventReceived`).
        var delivered: Int64 = 0
        /// Events heard but not handed on yet, by seq (arrived early, or past a gap).
        var early: [Int64: Event] = [:]
        var filling = false
        /// Waiting for every event up to `caughtUpAt` to be handed on (`follow(_:then:)`).
        var waiters: [() -> Void] = []
        var caughtUpAt: Int64 = 0

        func learn(_ event: Event) {
            top = max(top, event.seq)
            guard let id = event.clientID, recentSet[id] == nil else { return }
            recent.append((id, event.seq))
            recentSet[id] = event.seq
            if recent.count > ConversationRelay.recentIDs, let (old, _) = recent.popFirst() { recentSet[old] = nil }
        }
    }

    static let recentIDs = 512
    /// Entries a conversation stream keeps at least (`MAXLEN ~`); older ones are in the
    /// transcript files.
    static let minimumStreamLength = 4_096
    /// Entries a conversation stream keeps: more than a conversation may have
    /// (`limits.max_events_per_conversation`), so a live one is never trimmed.
    let streamLength: Int
    /// Refusals in a row before an append gives up (each one means another node appended).
    /// Against a burst from the other side each retry is a fair race (the burst is paced,
    /// see `finish`), so losing this many in a row means something else is wrong; at 32,
    /// chance alone gave a message up now and then on a busy machine.
    static let maxConflicts = 256

    let keyPrefix: String
    private let link: RedisConnection
    private var followed: [String: Followed] = [:]
    /// What this node publishes at the end of the loop iteration.
    private var outgoing = RelayBatch()
    private var flushScheduled = false
    /// Whether the subscriber link is up (a paced append waits for its echo only then).
    private var subscribed = false
    /// Conversations whose next append waits for this node's last to be heard back.
    private var paced: Set<String> = []
    private var pacingWatched = false
    /// How long a paced append waits for its predecessor's echo at most (checked each tick).
    static let pacingLimit: UInt64 = 100_000_000
    /// `PUBLISH`es sent, and the entries they carried (for /v1/cluster).
    package private(set) var batchesPublished: UInt64 = 0
    package private(set) var entriesPublished: UInt64 = 0
    /// Appends Redis refused because another node had taken the number (for /metrics).
    package private(set) var refusedAppends: UInt64 = 0
    /// Every event published on a followed conversation, in the order Redis published them.
    package var eventReceived: ((_ conversation: String, _ event: Event) -> Void)?

    package init(link: RedisConnection, subscription: RedisSubscription, keyPrefix: String, longestConversation: Int = 0) {
        self.link = link
        self.keyPrefix = keyPrefix
        streamLength = max(Self.minimumStreamLength, longestConversation + 64)
        eventsChannel = "\(keyPrefix):conv-events"
        subscription.messageReceived = { [unowned self] channel, payload in published(channel: channel, payload: payload) }
        subscription.subscribe(eventsChannel)
        subscription.availabilityChanged = { [unowned self] up in
            subscribed = up
            if !up {
                for conversation in paced { if let state = followed[conversation] { endPacing(conversation, state) } }
            }
            if up { catchUp() }
            availabilityChanged?(up)
        }
    }

    /// The subscriber link went down (false) or came back (true); after it comes back
    /// the relay reads what it missed by itself.
    package var availabilityChanged: ((Bool) -> Void)?
    /// Events skipped because the stream no longer held them (trimmed while this node
    /// was cut off): the protocol's "gap it can never fill".
    package private(set) var unfillableEvents: UInt64 = 0

    package func stream(_ conversation: String) -> String { "\(keyPrefix):conv:\(conversation)" }
    /// The relay's one channel: every node's batches, heard by every node.
    package let eventsChannel: String

    /// What a node already has of a conversation (the last seq in its own transcript):
    /// following starts after it, so what came before is read from the stream and handed
    /// on first. Nil, or 0 for all: only what is appended from now on.
    package var heldThrough: ((_ conversation: String) -> Int64?)?
    /// A note for a conversation's parties that is not kept (typing, receipts).
    package var noteReceived: ((_ conversation: String, _ recipients: String, _ bytes: [UInt8]) -> Void)?

    /// Starts listening to a conversation (a party of it is on this node) and learns its
    /// top and recent client ids from the stream.
    package func follow(_ conversation: String) {
        guard followed[conversation] == nil else { return }
        followed[conversation] = Followed()
        loadTop(conversation, after: heldThrough?(conversation))
    }

    /// Shutdown: forgets every conversation, with the appends and waiters queued for them
    /// (their closures hold the desk, which holds this relay).
    package func stop() {
        followed.removeAll()
        outgoing = RelayBatch()
        eventReceived = nil
        noteReceived = nil
        heldThrough = nil
        availabilityChanged = nil
    }

    /// Follows, and calls `then` once this node has handed on everything the stream held
    /// when following began (at once if it already follows and has): a client resuming
    /// here is then sent its history from this node's own transcript.
    package func follow(_ conversation: String, then: @escaping () -> Void) {
        follow(conversation)
        followed[conversation]!.waiters.append(then)
        releaseWaiters(conversation)
    }

    private func releaseWaiters(_ conversation: String) {
        guard let state = followed[conversation], state.loaded, !state.waiters.isEmpty, state.delivered >= state.caughtUpAt else { return }
        let waiters = state.waiters
        state.waiters = []
        for waiter in waiters { waiter() }
    }

    /// How long an ended conversation's stream stays in Redis: long enough for a customer
    /// to come back and read it on any node (as long as shared sessions live); then Redis
    /// forgets it, and the transcript lives on in the segment files of the nodes that
    /// followed it (the writer of its end among them).
    static let endedLifetimeMilliseconds: Int64 = 24 * 3_600 * 1_000

    /// The conversation ended: its stream expires (`endedLifetimeMilliseconds`), so Redis
    /// holds only live and recently ended conversations.
    package func retire(_ conversation: String) {
        link.send(RedisCommand("PEXPIRE", stream(conversation), Self.endedLifetimeMilliseconds)) { result in
            if case .failure(let failure) = result {
                Log.warning("cluster: conversation \(conversation) could not be set to expire: \(failure)")
            }
        }
    }

    /// Sends a note to the nodes following the conversation (at most once, not kept).
    package func notify(_ conversation: String, recipients: String, _ bytes: [UInt8]) {
        publish(conversation, Event(seq: 0, clientID: nil, bytes: bytes, recipients: recipients))
    }

    package func unfollow(_ conversation: String) {
        guard let state = followed.removeValue(forKey: conversation) else { return }
        for pending in state.queue { pending.completion(.failure(.unavailable("the conversation is no longer followed here"))) }
    }

    /// Appends the next event; `encode` makes its bytes for the seq it gets (it may be
    /// called more than once, after refusals). The completion runs on the loop.
    package func append(to conversation: String, clientID: String?, recipients: String = "", ts: Int64 = 0,
                        encode: @escaping (Int64) -> [UInt8], _ completion: @escaping (Result<Appended, RedisFailure>) -> Void) {
        follow(conversation)
        followed[conversation]!.queue.append(Pending(clientID: clientID, recipients: recipients, ts: ts, encode: encode,
                                                     completion: completion))
        pump(conversation)
    }

    /// What `ensure` found.
    package enum Ensured: Equatable {
        /// The stream has the event (its seq), or nobody here follows the conversation (nil).
        case present(seq: Int64?)
        /// It was missing: this node wrote it.
        case written(Event)
    }

    /// Makes sure the stream has the event named `clientID`, written by another node:
    /// a decision's event, which the node that asked writes, unless it died or lost
    /// Redis first. Only where the conversation is followed (a party of it is here):
    /// what follows the last event handed on is read first — and handed on, should this
    /// node have missed it (published before it subscribed) — and the event is appended
    /// only if it is still not there (with the usual compare-and-set, so that a late
    /// writer finds it and does not write it twice).
    package func ensure(_ conversation: String, clientID: String, recipients: String, ts: Int64 = 0,
                        encode: @escaping (Int64) -> [UInt8], _ completion: @escaping (Result<Ensured, RedisFailure>) -> Void) {
        guard let state = followed[conversation], state.loaded else { return completion(.success(.present(seq: nil))) }
        if let seq = state.recentSet[clientID] { return completion(.success(.present(seq: seq))) }
        readBack(conversation, limit: streamLength) { [unowned self] result in
            if case .failure(let failure) = result { return completion(.failure(failure)) }
            guard let state = followed[conversation] else { return completion(.success(.present(seq: nil))) }
            if let seq = state.recentSet[clientID] { return completion(.success(.present(seq: seq))) }
            append(to: conversation, clientID: clientID, recipients: recipients, ts: ts, encode: encode) { result in
                completion(result.map { appended in
                    switch appended {
                    case .stored(let event): .written(event)
                    case .duplicate(let seq): .present(seq: seq)
                    }
                })
            }
        }
    }

    /// Events after `seq`, at most `limit`, oldest first (a client resuming).
    package func read(_ conversation: String, after seq: Int64, limit: Int, _ completion: @escaping (Result<[Event], RedisFailure>) -> Void) {
        link.send(RedisCommand("XRANGE", stream(conversation), "0-\(seq + 1)", "+", "COUNT", limit)) { result in
            completion(result.flatMap { reply in
                guard let events = Self.events(in: reply) else { return .failure(.replied("unexpected XRANGE reply")) }
                return .success(events)
            })
        }
    }

    // MARK: Appending

    private func pump(_ conversation: String) {
        guard let state = followed[conversation], state.loaded, !state.appending, state.pacedOn == 0,
              let next = state.queue.first else { return }
        if let id = next.clientID, let seq = state.recentSet[id] {
            state.queue.removeFirst()
            next.completion(.success(.duplicate(seq: seq)))
            pump(conversation)
            return
        }
        state.appending = true
        attempt(conversation, next, seq: state.top + 1, conflicts: 0)
    }

    private func attempt(_ conversation: String, _ pending: Pending, seq: Int64, conflicts: Int) {
        let bytes = pending.encode(seq)
        var fields: [any RedisArgument] = [stream(conversation), "MAXLEN", "~", streamLength, "0-\(seq)", "e", bytes]
        if let id = pending.clientID { fields += ["k", id] }
        if !pending.recipients.isEmpty { fields += ["r", pending.recipients] }
        if pending.ts != 0 { fields += ["t", pending.ts] }
        link.send(RedisCommand("XADD", fields)) { [unowned self] result in
            switch result {
            case .success:
                let event = Event(seq: seq, clientID: pending.clientID, bytes: bytes, recipients: pending.recipients, ts: pending.ts)
                publish(conversation, event)
                finish(conversation, with: .success(.stored(event)), learning: event)
            case .failure(.replied(let text)) where text.contains("equal or smaller"):
                refusedAppends &+= 1
                guard conflicts < Self.maxConflicts else {
                    finish(conversation, with: .failure(.replied("gave up after \(conflicts) refused appends")), learning: nil)
                    return
                }
                // Another node took this number. Learn the top and go on: the first time from
                // the stream's last entries (a resend whose first copy was stored, its reply
                // lost, is found among them); after that this event's own tries were refused,
                // so nothing older than the top known here can be one of them, and what took
                // the number is often heard on the channel already (then the next number is
                // tried at once) or read alone. A retry that reread ~300 entries each time lost
                // 32 races in a row to a writer on the other side sending as fast as its acks
                // came (test_cluster_relay.py, 200 messages each way, on a busy machine).
                if conflicts > 0, let state = followed[conversation], state.top >= seq,
                   pending.clientID.flatMap({ state.recentSet[$0] }) == nil {
                    attempt(conversation, pending, seq: state.top + 1, conflicts: conflicts + 1)
                    return
                }
                refreshTop(conversation, after: conflicts == 0 ? nil : followed[conversation]?.top) { [unowned self] events in
                    guard let state = followed[conversation] else { return }
                    if let id = pending.clientID, let seq = state.recentSet[id] {
                        // Stored already — perhaps by this node's own earlier try, whose reply
                        // was lost with the link before it could publish: published again, or
                        // the other nodes would not hear of it until the conversation's next
                        // event (found by test_cluster_faults.py's partition). Hearing it
                        // twice is harmless: listeners hand on each seq once.
                        if let stored = events.first(where: { $0.seq == seq }) {
                            publish(conversation, stored)
                        }
                        finish(conversation, with: .success(.duplicate(seq: seq)), learning: nil)
                    } else {
                        attempt(conversation, pending, seq: state.top + 1, conflicts: conflicts + 1)
                    }
                }
            case .failure(let failure):
                finish(conversation, with: .failure(failure), learning: nil)
            }
        }
    }

    private func finish(_ conversation: String, with result: Result<Appended, RedisFailure>, learning event: Event?) {
        guard let state = followed[conversation] else { return }
        var handOn = false
        if let event {
            state.learn(event)
            // Next in seq order here: handed on now, not after a round trip through the
            // channel (whose copy then finds it delivered). Past a gap it waits for the
            // channel as any other event does, so the gap is not read from the stream early.
            if state.loaded, event.seq == state.delivered + 1 {
                state.early[event.seq] = event
                handOn = true
            }
        }
        let done = state.queue.removeFirst()
        state.appending = false
        // A burst: the next append waits to hear this one back on the channel. Sent at
        // once, it would be in Redis before another node writing the conversation had
        // even heard this event, and that node, refused every time, would give its
        // message up after `maxConflicts`; waiting, both try the next number together.
        if let event, !state.queue.isEmpty, subscribed {
            state.pacedOn = event.seq
            state.pacedSince = link.loop.now
            paced.insert(conversation)
            watchPacing()
        }
        // Stored and delivered here before the writer hears it was stored (its ack), as on one node.
        if handOn { drain(conversation) }
        done.completion(result)
        pump(conversation)
    }

    // MARK: Learning

    private func loadTop(_ conversation: String, after held: Int64?) {
        refreshTop(conversation) { [unowned self] _ in
            guard let state = followed[conversation] else { return }
            // What the stream held when this node began to follow is history, not news,
            // except what this node does not have yet: read back and handed on first.
            state.loaded = true
            state.delivered = min(state.top, max(0, held ?? state.top))
            state.caughtUpAt = state.top
            let missing = state.top - state.delivered
            if missing > 0 { readBack(conversation, limit: Int(missing)) }
            drain(conversation)
            pump(conversation)
        }
    }

    /// Reads the stream's last entries (the top and recent client ids); `then` gets them, newest first.
    /// `after`: only the entries after that seq (all of them if nil), at most `recentIDs`.
    private func refreshTop(_ conversation: String, after: Int64? = nil, then: @escaping ([Event]) -> Void) {
        let start = after.map { "(0-\($0)" } ?? "-"
        link.send(RedisCommand("XREVRANGE", stream(conversation), "+", start, "COUNT", Self.recentIDs)) { [unowned self] result in
            var read: [Event] = []
            if case .success(let reply) = result, let events = Self.events(in: reply) {
                for event in events.reversed() { followed[conversation]?.learn(event) }
                read = events
            } else if case .failure(let failure) = result {
                Log.warning("cluster: reading conversation \(conversation)'s top failed: \(failure)")
            }
            then(read)
        }
    }

    // MARK: The channel

    /// Adds an event (or a note, seq 0) to what this node publishes at the end of the
    /// loop iteration.
    private func publish(_ conversation: String, _ event: Event) {
        outgoing.add(conversation, event)
        if outgoing.bytes.count >= RelayBatch.flushSize {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            link.loop.scheduleFlush(self)
        }
    }

    /// End of the loop iteration: one `PUBLISH` for every entry written in it. Lost if the
    /// link is down: the streams have the events, and listeners read gaps from there.
    package func flush() {
        flushScheduled = false
        guard !outgoing.isEmpty else { return }
        entriesPublished &+= UInt64(outgoing.count)
        batchesPublished &+= 1
        link.send(RedisCommand("PUBLISH", eventsChannel, outgoing.take())) { _ in }
    }

    private func published(channel: String, payload: [UInt8]) {
        guard channel == eventsChannel else { return }
        guard let frames = RelayBatch.frames(of: payload) else {
            Log.warning("cluster: a relay batch of \(payload.count) bytes does not decode; its events are read from the streams later")
            return
        }
        for (conversation, frame) in frames {
            // Only the conversations followed here are decoded: every node hears every batch.
            guard let state = followed[conversation] else { continue }
            guard let event = Self.unframe(frame) else {
                Log.warning("cluster: an event of \(conversation) in a relay batch does not decode; it is read from the stream later")
                continue
            }
            heard(event, of: conversation, state)
        }
    }

    /// One event (or note) published by some node, of a conversation followed here.
    private func heard(_ event: Event, of conversation: String, _ state: Followed) {
        guard event.seq > 0 else {
            noteReceived?(conversation, event.recipients, event.bytes)
            return
        }
        state.learn(event)
        if event.seq > state.delivered { state.early[event.seq] = event }
        drain(conversation)
        if state.pacedOn != 0, event.seq >= state.pacedOn { endPacing(conversation, state) }
    }

    private func endPacing(_ conversation: String, _ state: Followed) {
        state.pacedOn = 0
        paced.remove(conversation)
        pump(conversation)
    }

    /// A publication lost (the link failed after the append) is not waited for past a tick.
    private func watchPacing() {
        guard !pacingWatched else { return }
        pacingWatched = true
        link.loop.addTicker(TickAction { [weak self] now in
            guard let self, !paced.isEmpty else { return }
            for conversation in paced {
                guard let state = followed[conversation] else { paced.remove(conversation); continue }
                if now &- state.pacedSince >= Self.pacingLimit { endPacing(conversation, state) }
            }
        })
    }

    /// Hands on the events that are next in seq order; reads a gap from the stream.
    private func drain(_ conversation: String) {
        defer { releaseWaiters(conversation) }
        while let state = followed[conversation], state.loaded, !state.filling {
            if let next = state.early.removeValue(forKey: state.delivered + 1) {
                state.delivered = next.seq
                eventReceived?(conversation, next)
                continue
            }
            guard let first = state.early.keys.min() else { return }
            // A gap before `first`: read it from the stream, then go on.
            state.filling = true
            let after = state.delivered
            read(conversation, after: after, limit: Int(first - after - 1)) { [unowned self] result in
                guard let state = followed[conversation] else { return }
                state.filling = false
                switch result {
                case .success(let events):
                    for event in events where event.seq > state.delivered { state.early[event.seq] = event; state.learn(event) }
                    if state.early[state.delivered + 1] == nil, let first = state.early.keys.min(), first > state.delivered + 1 {
                        // The stream no longer has them (trimmed): a gap that cannot be filled.
                        unfillableEvents &+= UInt64(first - state.delivered - 1)
                        Log.warning("cluster: conversation \(conversation) events \(state.delivered + 1)…\(first - 1) are gone from Redis")
                        state.delivered = first - 1
                    }
                    drain(conversation)
                case .failure(let failure):
                    // Tried again with the next event heard, or when the link comes back.
                    Log.warning("cluster: reading conversation \(conversation)'s missing events failed: \(failure)")
                }
            }
            return
        }
    }

    /// After the subscriber link was down: whatever was published meanwhile is lost to
    /// Pub/Sub, so read every followed conversation from where it was.
    private func catchUp() {
        for (conversation, state) in followed where state.loaded { readBack(conversation, limit: streamLength) }
    }

    /// Reads what follows the last event handed on, then hands it on.
    /// `then`: after what was read was handed on (or the read failed).
    private func readBack(_ conversation: String, limit: Int,
                          then: @escaping (Result<Void, RedisFailure>) -> Void = { _ in }) {
        guard let after = followed[conversation]?.delivered else { return then(.success(())) }
        read(conversation, after: after, limit: limit) { [unowned self] result in
            guard case .success(let events) = result else { return then(result.map { _ in }) }
            if let state = followed[conversation] {
                for event in events where event.seq > state.delivered { state.early[event.seq] = event; state.learn(event) }
                drain(conversation)
            }
            then(.success(()))
        }
    }

    // MARK: Encoding

    /// An event on the channel: seq (8 bytes, big-endian; 0 for a note, which is not
    /// kept), ts (8 bytes, big-endian; 0: not told), the client id and the recipients
    /// (each a 2-byte length and its bytes), then the event's bytes.
    package static func frame(_ event: Event) -> [UInt8] {
        var out: [UInt8] = []
        frame(event, into: &out)
        return out
    }

    /// Appends the event's frame to `out` (a batch being built), copying nothing twice.
    package static func frame(_ event: Event, into out: inout [UInt8]) {
        func part(_ text: String) {
            let utf8 = text.utf8.prefix(Int(UInt16.max))
            withUnsafeBytes(of: UInt16(utf8.count).bigEndian) { out += $0 }
            out += utf8
        }
        withUnsafeBytes(of: UInt64(bitPattern: event.seq).bigEndian) { out += $0 }
        withUnsafeBytes(of: UInt64(bitPattern: event.ts).bigEndian) { out += $0 }
        part(event.clientID ?? "")
        part(event.recipients)
        out += event.bytes
    }

    package static func unframe(_ payload: [UInt8]) -> Event? { unframe(payload[...]) }

    /// A frame read in place (a slice of the batch that carried it).
    package static func unframe(_ payload: ArraySlice<UInt8>) -> Event? {
        guard payload.count >= 20 else { return nil }
        let start = payload.startIndex
        let seq = payload[start..<(start + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let ts = payload[(start + 8)..<(start + 16)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard seq <= UInt64(Int64.max), ts <= UInt64(Int64.max) else { return nil }
        var at = start + 16
        func part() -> String? {
            guard payload.endIndex - at >= 2 else { return nil }
            let length = Int(payload[at]) << 8 | Int(payload[at + 1])
            guard payload.endIndex - at - 2 >= length else { return nil }
            defer { at += 2 + length }
            return String(decoding: payload[(at + 2)..<(at + 2 + length)], as: UTF8.self)
        }
        guard let id = part(), let recipients = part() else { return nil }
        return Event(seq: Int64(seq), clientID: id.isEmpty ? nil : id, bytes: Array(payload[at...]), recipients: recipients,
                     ts: Int64(ts))
    }

    /// The entries of an XRANGE/XREVRANGE reply, in reply order.
    package static func events(in reply: RESPValue) -> [Event]? {
        guard case .array(let entries?) = reply else { return nil }
        var events: [Event] = []
        for entry in entries {
            guard case .array(let parts?) = entry, parts.count == 2, let id = parts[0].text, id.hasPrefix("0-"),
                  let seq = Int64(id.dropFirst(2)), case .array(let fields?) = parts[1], fields.count % 2 == 0 else { return nil }
            var bytes: [UInt8]?
            var clientID: String?
            var recipients = ""
            var ts: Int64 = 0
            for index in stride(from: 0, to: fields.count, by: 2) {
                switch fields[index].text {
                case "e": if case .bulk(let value?) = fields[index + 1] { bytes = value }
                case "k": clientID = fields[index + 1].text
                case "r": recipients = fields[index + 1].text ?? ""
                case "t": ts = fields[index + 1].text.flatMap { Int64($0) }.map { max(0, $0) } ?? 0
                default: break
                }
            }
            guard let bytes else { return nil }
            events.append(Event(seq: seq, clientID: clientID, bytes: bytes, recipients: recipients, ts: ts))
        }
        return events
    }
}
