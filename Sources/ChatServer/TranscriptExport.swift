import ChatProtocol

/// A transcript as the read-back endpoints return it (protocol/README.md, "Transcript
/// read-back"): JSON for staff, plain text and HTML for the customer's download.
/// Pure functions of the events; times in UTC. Stateless.
package enum TranscriptExport {
    package enum Format: Sendable {
        case json, text, html

        var contentType: String {
            switch self {
            case .json: "application/json"
            case .text: "text/plain; charset=utf-8"
            case .html: "text/html; charset=utf-8"
            }
        }

        var fileExtension: String {
            switch self {
            case .json: "json"
            case .text: "txt"
            case .html: "html"
            }
        }
    }

    /// `{"conversation", "first_seq", "last_seq", "events": [...]}`; `first_seq` is above
    /// 1 when retention removed the oldest events.
    static func json(_ conversation: String, _ events: [ConversationEvent]) -> [UInt8] {
        var out = Array("{\"conversation\":\"".utf8)
        out += conversation.utf8  // a wire id: only [a-z0-9-]
        out += "\",\"first_seq\":\(events.first?.seq ?? 0),\"last_seq\":\(events.last?.seq ?? 0),\"events\":[".utf8
        for (i, event) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += ServerMessage.event(event).encoded()
        }
        out += "]}".utf8
        return out
    }

    /// One line per event: `2026-05-04 10:21:03 UTC  Name: text`.
    static func text(_ conversation: String, _ events: [ConversationEvent]) -> String {
        var out = "Transcript of conversation \(conversation)\n\n"
        for event in events {
            let (who, what) = line(event)
            out += "\(timestamp(event.ts))  \(who.isEmpty ? "" : who + ": ")\(what)\n"
        }
        return out
    }

    static func html(_ conversation: String, _ events: [ConversationEvent]) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="ko"><head><meta charset="utf-8"><title>Transcript \(escape(conversation))</title>
        <style>body{font:15px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}
        time{color:#666;font-size:.85em;margin-right:.5em}.note{color:#555;font-style:italic}b{margin-right:.3em}</style>
        </head><body><h1>Transcript of conversation \(escape(conversation))</h1>
        <ol style="list-style:none;padding:0">

        """
        for event in events {
            let (who, what) = line(event)
            let body = who.isEmpty ? "<span class=\"note\">\(escape(what))</span>" : "<b>\(escape(who))</b>\(escape(what))"
            out += "<li><time>\(timestamp(event.ts))</time>\(body)</li>\n"
        }
        out += "</ol></body></html>\n"
        return out
    }

    /// Who said it (empty for a notice) and what.
    static func line(_ event: ConversationEvent) -> (String, String) {
        switch event {
        case .message(let m):
            return (m.from == .customer ? "Customer" : "\(m.agentName ?? "Agent") (agent)", m.text)
        case .agentJoined(let e):
            return ("", "\(e.agentName) joined the conversation")
        case .transferred(let e):
            switch e.to {
            case .queue(let key): return ("", "\(e.fromAgentName) transferred the conversation to the \(key) queue")
            case .agent(let name): return ("", "\(e.fromAgentName) transferred the conversation to \(name)")
            }
        case .ended(let e):
            return ("", "The conversation ended (\(e.reason.rawValue))")
        case .rated(let e):
            return ("", "Rated \(e.score)/5" + (e.comment.map { ": \($0)" } ?? ""))
        case .messageLeft(let m):
            return ("Customer (left a message)", m.text)
        }
    }

    /// `YYYY-MM-DD HH:MM:SS UTC` for Unix milliseconds (civil-from-days, proleptic
    /// Gregorian; H. Hinnant's algorithm).
    static func timestamp(_ ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) UTC"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
