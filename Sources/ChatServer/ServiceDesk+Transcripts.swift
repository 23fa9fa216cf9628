import ChatProtocol
import HTTP

// Transcript read-back on the domain thread (protocol/README.md, "Transcript
// read-back"): who may read which conversation, and the answer in its format.

extension ServiceDesk {
    func transcript(_ query: TranscriptQuery) -> HTTPResponse {
        guard let key = WireID.conversation(query.conversation) else {
            return .text(.notFound, "no conversation \(query.conversation)\n")
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
        let wire = WireID.conversation(key)
        // The head names the newest event exported (events are appended in seq order).
        let head = transcripts.chainHead(of: key).flatMap { $0.seq == events.last?.seq ? $0 : nil }
        let body = TranscriptExport.render(query.format, wire, events, head: head)
        var headers: [(name: String, value: String)] = [("Content-Type", query.format.contentType), ("Cache-Control", "no-store")]
        if query.format != .json {
            headers.append(("Content-Disposition", "attachment; filename=\"transcript-\(wire).\(query.format.fileExtension)\""))
        }
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }
}
