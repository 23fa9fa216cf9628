import ChatCore
import ChatStorage
import ChatProtocol
import HTTP

// Transcript read-back on the domain thread (protocol/README.md, "Transcript
// read-back"): who may read which conversation, and the answer in its format.

extension ServiceDesk {
    func transcript(_ query: TranscriptQuery) -> HTTPResponse {
        // A conversation `c-B-N`, or a left message's record `m-B-N` (staff only: the
        // customer's session never lists it).
        guard let key = WireID.conversation(query.conversation) ?? LeftMessageRecords.key(query.conversation) else {
            return .text(.notFound, "no conversation \(query.conversation)\n")
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
        var events: [ConversationEvent] = []
        var after: Int64 = 0
        while true {
            let page = transcripts.events(of: key, after: after, limit: 1_000)
            events += page.events
            guard page.more, let last = page.events.last else { break }
            after = last.seq
        }
        let wire = LeftMessageRecords.isLeftMessage(key) ? LeftMessageRecords.wireID(key) : WireID.conversation(key)
        let body: [UInt8]
        switch query.format {
        case .json: body = TranscriptExport.json(wire, events)
        case .text: body = Array(TranscriptExport.text(wire, events, style: exportStyle(key, events)).utf8)
        case .html: body = Array(TranscriptExport.html(wire, events, style: exportStyle(key, events)).utf8)
        }
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
