import ChatCore
import ChatProtocol
import ChatStorage
import HTTP
import Posix

// A customer's rights over what the broker holds about them (protocol/README.md,
// "Records and a customer's rights"), for staff: everything held about the customer
// session a conversation belongs to, and erasure. Domain thread only.

extension ServiceDesk {
    /// `GET /v1/conversations/{id}/subject`: the session (while the broker holds it:
    /// language, every conversation of it, the pre-chat form of its contacts) and every
    /// one of those transcripts as stored, in one JSON document. After the session has
    /// expired only the conversation itself is known to belong to the customer.
    func subject(_ key: TranscriptKey) -> HTTPResponse {
        guard transcripts.lastSeq(of: key) > 0 else {
            return .text(.notFound, "no transcript of conversation \(WireID.conversation(key))\n")
        }
        var keys = [key]
        var out = "{\"conversation\":\(json(WireID.conversation(key)))"
        let session = live(key).flatMap { id in sessions.values.first { $0.conversations.contains(id) } }
        if let session {
            keys = session.conversations.map { transcripts.key($0) }
            if !keys.contains(key) { keys.insert(key, at: 0) }
            out += ",\"session\":{\"language\":\(json(session.language.rawValue)),\"conversations\":["
                + keys.map { json(WireID.conversation($0)) }.joined(separator: ",") + "]"
            if let contact = session.contact, let c = center.contact(contact) {
                let p = c.preChat
                out += ",\"pre_chat\":{\"name\":\(json(p.customerName)),\"order_number\":\(json(p.orderNumber)),"
                    + "\"product\":\(json(p.product)),\"first_message\":\(json(p.firstMessage))}"
            }
            // Messages the session left for agents (the e-mail channel), while held here.
            let left = contactOwners.filter { $0.value === session }.keys.sorted { $0.rawValue < $1.rawValue }
                .compactMap { id -> String? in
                    guard let c = center.contact(id), let text = c.message else { return nil }
                    return "{\"contact\":\(json(WireID.contact(id))),\"text\":\(json(text))"
                        + (replyTo[id].map { ",\"reply_to\":\(json($0))" } ?? "") + "}"
                }
            out += ",\"left_messages\":[" + left.joined(separator: ",") + "]}"
        } else {
            out += ",\"session\":null"
        }
        var body = Array((out + ",\"transcripts\":[").utf8)
        for (i, k) in keys.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            let events = allEvents(of: k)
            body += TranscriptExport.json(WireID.conversation(k), events, head: transcripts.chainHead(of: k))
        }
        body += "]}".utf8
        return HTTPResponse(status: .ok, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: body)
    }

    /// `POST /v1/conversations/{id}/erase`: appends an `erased` marker covering every
    /// event so far; from then on the customer's words (messages, rating comment) are
    /// served as `[erased]`. The marker is a record in the hash chain, so `verify` still
    /// passes and shows when it happened. An open conversation is refused (409): end it
    /// first, so no message races the marker.
    func erase(_ key: TranscriptKey, by login: String) -> HTTPResponse {
        let last = transcripts.lastSeq(of: key)
        let wire = WireID.conversation(key)
        guard last > 0 else { return .text(.notFound, "no transcript of conversation \(wire)\n") }
        if let id = live(key), let c = center.conversation(id), !c.isEnded {
            return .text(.conflict, "conversation \(wire) is still open: end it first\n")
        }
        let rewritten: String?
        do {
            rewritten = try transcripts.scrub(key, through: last)
        } catch .notWrittenYet {
            return HTTPResponse(status: .serviceUnavailable, headers: [("Retry-After", "1"), ("Content-Type", "text/plain; charset=utf-8")],
                                body: Array("the conversation's last records are still being written: try again in a second\n".utf8))
        } catch {
            Log.error("records: erasing \(wire): \(error)")
            return .text(.internalServerError, "the erasure could not rewrite the records; nothing was erased\n")
        }
        let marker = ConversationEvent.erased(Erased(conversation: wire, seq: last + 1, ts: nowTS, throughSeq: last, rewritten: rewritten))
        transcripts.appendMarker(marker, to: key)
        let count = rewritten.map { RewrittenRecord.parse($0).count } ?? 0
        Log.info("records: the customer's text in \(wire) erased through seq \(last) by \(login): \(count) record(s) rewritten in place (marker seq \(last + 1))")
        let body = "{\"conversation\":\(json(wire)),\"erased_through\":\(last),\"marker_seq\":\(last + 1)}"
        return HTTPResponse(status: .ok, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                            body: Array(body.utf8))
    }

    func allEvents(of key: TranscriptKey) -> [ConversationEvent] {
        var events: [ConversationEvent] = []
        var after: Int64 = 0
        while true {
            let page = transcripts.events(of: key, after: after, limit: 1_000)
            events += page.events
            guard page.more, let last = page.events.last else { break }
            after = last.seq
        }
        return events
    }

    /// A JSON string literal.
    private func json(_ s: String) -> String { LineLogHandler.json(s) }
}
