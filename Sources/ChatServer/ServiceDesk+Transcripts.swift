import ChatCore
import ChatStorage
import ChatProtocol
import HTTP

// Transcript read-back on the domain thread (protocol/README.md, "Transcript
// read-back"): who may read which conversation, and the answer in its format.

extension ServiceDesk {
    /// Answers a read-back. A cluster node may not hold a conversation no party of which
    /// is connected here: it reads what it lacks from Redis first (and, for a customer,
    /// the session another node wrote), then answers from its own store.
    func transcript(_ query: TranscriptQuery, _ answer: @escaping (HTTPResponse) -> Void) {
        guard let relay, case .read = query.action, let key = WireID.conversation(query.conversation) else {
            answer(transcript(query))
            return
        }
        guard let id = live(key), center.conversation(id) != nil else {
            // Ended (the centre forgot it), or of an earlier generation: this node's copy
            // stops where it stopped hearing the conversation (it was down, or nobody of
            // it was connected here); the stream in Redis, kept a day after the end, may
            // hold the rest. Read after the reader was let in.
            let first = transcript(query)
            guard first.status == .ok || first.status == .notFound else { return answer(first) }  // not let in
            return catchUp(key, wireID: query.conversation, relay: relay) { [self] in answer(transcript(query)) }
        }
        let read = { [self] in relay.follow(wire(id)) { [self] in answer(transcript(query)) } }
        guard case .customer(let token) = query.reader, sessions[token] == nil, let sharedSessions else { return read() }
        sharedSessions.load(token) { [self] found in
            guard case .success(let record) = found else {
                return answer(.text(.serviceUnavailable, "the session cannot be looked up just now; try again shortly\n",
                                    headers: [("Retry-After", "1")]))
            }
            if let record, sessions[token] == nil, let session = takeOver(token, record) {
                // Not connected here: forgotten after a grace period like any dropped session.
                session.disconnectedAt = now
                expiring.append((token, now.advanced(by: center.configuration.customerGracePeriod)))
            }
            read()
        }
    }

    /// Appends to this node's transcript of `key` what the conversation's stream in
    /// Redis holds after it (nothing if Redis is away or forgot it), then `then`.
    func catchUp(_ key: TranscriptKey, wireID: String, relay: ConversationRelay, then: @escaping () -> Void) {
        relay.read(wireID, after: transcripts.lastSeq(of: key), limit: limits.maxEventsPerConversation + 1) { [self] result in
            if case .success(let events) = result {
                for event in events where event.seq == transcripts.lastSeq(of: key) + 1 {
                    guard case .event(let decoded)? = try? ServerMessage.decode(event.bytes) else { break }
                    transcripts.append(RecordedEvent(decoded, bytes: event.bytes), to: key)
                }
            }
            then()
        }
    }

    func transcript(_ query: TranscriptQuery) -> HTTPResponse {
        // A conversation `c-B-N`, or a left message's record `m-B-N` (staff only: the
        // customer's session never lists it).
        guard let key = WireID.conversation(query.conversation) ?? LeftMessageRecords.key(query.conversation) else {
            return .text(.notFound, "no conversation \(query.conversation)\n")
        }
        if LeftMessageRecords.isLeftMessage(key), query.action != .read {
            return .text(.notFound, "no conversation \(query.conversation): subject and erase take a conversation id c-BOOT-N\n")
        }
        switch query.action {
        case .read: break
        case .subject: return subject(key)
        case .erase(let login): return erase(key, by: login)
        }
        if case .customer(let token) = query.reader {
            guard let session = sessions[token], !isExpired(session) else {
                return TranscriptPath.unauthorized("the session is unknown or has expired", [])
            }
            guard let id = live(key), session.conversations.contains(id) else {
                return .text(.forbidden, "this session may not read conversation \(query.conversation)\n")
            }
        }
        guard transcripts.lastSeq(of: key) > 0 else {
            return .text(.notFound, "no transcript of conversation \(query.conversation)\n")
        }
        let events = allEvents(of: key)
        let wire = LeftMessageRecords.anyWireID(key)
        // The head names the newest event exported (events are appended in seq order).
        let head = transcripts.chainHead(of: key).flatMap { $0.seq == events.last?.seq ? $0 : nil }
        let body = TranscriptExport.render(query.format, wire, events, head: head, style: exportStyle(key, events))
        var headers: [(name: String, value: String)] = [("Content-Type", query.format.contentType), ("Cache-Control", "no-store")]
        if query.format != .json {
            headers.append(("Content-Disposition", "attachment; filename=\"transcript-\(wire).\(query.format.fileExtension)\""))
        }
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }

    /// The conversation's language (its customer's, while the broker still knows the
    /// conversation; a left message's from its record; else Korean, the centre's first
    /// language) and the centre's time zone.
    func exportStyle(_ key: TranscriptKey, _ events: [ConversationEvent]) -> TranscriptExport.Style {
        var language = ChatProtocol.Language.ko
        if case .messageLeft(let m)? = events.first {
            language = m.customer.language
        } else if let id = live(key), let contact = center.conversation(id).flatMap({ center.contact($0.contact) }) {
            language = ChatProtocol.Language(contact.language)
        }
        return TranscriptExport.Style(language: language, zone: center.configuration.businessHours.timeZone)
    }
}
