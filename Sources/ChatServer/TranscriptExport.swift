import ChatCore
import ChatProtocol

/// The hash-chain link of an exported transcript's newest record (protocol/storage.md,
/// "Tamper evidence"): with it, `switchboard verify-export` shows the export is what
/// the store holds. A plain value.
package struct ChainHead: Sendable, Equatable {
    package var conversation: String
    package var seq: Int64
    /// 64 lowercase hex digits.
    package var sha256: String

    package init(conversation: String, seq: Int64, sha256: String) {
        self.conversation = conversation
        self.seq = seq
        self.sha256 = sha256
    }

    /// `c-1-2 seq 4 sha256 <hex>`: how text and HTML exports print it.
    var line: String { "\(conversation) seq \(seq) sha256 \(sha256)" }
}

/// A transcript as the read-back endpoints return it (protocol/README.md, "Transcript
/// read-back"): JSON for staff, plain text and HTML for the customer's download, in
/// the conversation's language and the centre's time zone (named at the top), with
/// words for what happened instead of wire codes. Pure functions of the events. Stateless.
package enum TranscriptExport {
    /// How the text and HTML forms read: the language and the zone of the times.
    package struct Style: Sendable {
        package var language: ChatProtocol.Language
        package var zone: TimeZoneOffset

        package init(language: ChatProtocol.Language, zone: TimeZoneOffset) {
            self.language = language
            self.zone = zone
        }

        package static let englishUTC = Style(language: .en, zone: .utc)
        var korean: Bool { language == .ko }
    }

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

    /// The export in `format`, with its chain head when the store has one.
    package static func render(_ format: Format, _ conversation: String, _ events: [ConversationEvent], head: ChainHead?,
                               style: Style = .englishUTC) -> [UInt8] {
        switch format {
        case .json: json(conversation, events, head: head)
        case .text: Array(text(conversation, events, head: head, style: style).utf8)
        case .html: Array(html(conversation, events, head: head, style: style).utf8)
        }
    }

    static let headLabel = "Chain head: "

    /// `{"conversation", "first_seq", "last_seq", "events": [...], "chain"?}`; `first_seq`
    /// is above 1 when retention removed the oldest events; `chain` is
    /// `{"conversation", "seq", "sha256"}`.
    static func json(_ conversation: String, _ events: [ConversationEvent], head: ChainHead? = nil) -> [UInt8] {
        var out = Array("{\"conversation\":\"".utf8)
        out += conversation.utf8  // a wire id: only [a-z0-9-]
        out += "\",\"first_seq\":\(events.first?.seq ?? 0),\"last_seq\":\(events.last?.seq ?? 0),\"events\":[".utf8
        for (i, event) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += ServerMessage.event(event).encoded()
        }
        out += "]".utf8
        if let head {
            out += ",\"chain\":{\"conversation\":\"\(head.conversation)\",\"seq\":\(head.seq),\"sha256\":\"\(head.sha256)\"}".utf8
        }
        out += "}".utf8
        return out
    }

    /// A title, the zone, then one line per event: `2026-05-04 19:21:03  Name: text`,
    /// and the chain head when the store has one.
    static func text(_ conversation: String, _ events: [ConversationEvent], head: ChainHead? = nil,
                     style: Style = .englishUTC) -> String {
        var out = title(conversation, style) + "\n" + zoneLine(events, style) + "\n\n"
        for event in events {
            let (who, what) = line(event, style)
            out += "\(localTime(event.ts, style.zone))  \(who.isEmpty ? "" : who + ": ")\(what)\n"
        }
        if let head { out += "\n\(headLabel)\(head.line)\n" }
        return out
    }

    static func html(_ conversation: String, _ events: [ConversationEvent], head: ChainHead? = nil,
                     style: Style = .englishUTC) -> String {
        let heading = escape(title(conversation, style))
        var out = """
        <!DOCTYPE html>
        <html lang="\(style.language.rawValue)"><head><meta charset="utf-8"><title>\(heading)</title>
        <style>body{font:15px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}
        time{color:#666;font-size:.85em;margin-right:.5em}.note{color:#555;font-style:italic}b{margin-right:.3em}</style>
        </head><body><h1>\(heading)</h1><p class="note">\(escape(zoneLine(events, style)))</p>
        <ol style="list-style:none;padding:0">

        """
        for event in events {
            let (who, what) = line(event, style)
            let body = who.isEmpty ? "<span class=\"note\">\(escape(what))</span>" : "<b>\(escape(who))</b>\(escape(what))"
            out += "<li><time>\(localTime(event.ts, style.zone))</time>\(body)</li>\n"
        }
        out += "</ol>"
        if let head { out += "<footer><p><small>\(headLabel)\(head.line)</small></p></footer>" }
        out += "</body></html>\n"
        return out
    }

    static func title(_ conversation: String, _ style: Style) -> String {
        style.korean ? "상담 기록 \(conversation)" : "Transcript of conversation \(conversation)"
    }

    /// The zone the times are in, with the offset in force at the first event.
    static func zoneLine(_ events: [ConversationEvent], _ style: Style) -> String {
        let name = style.zone.displayName(at: WallTime(millisecondsSince1970: events.first?.ts ?? 0))
        return style.korean ? "시간대: \(name)" : "Times in \(name)"
    }

    /// Who said it (empty for a notice) and what, in the style's language.
    static func line(_ event: ConversationEvent, _ style: Style = .englishUTC) -> (String, String) {
        let ko = style.korean
        switch event {
        case .message(let m):
            switch m.from {
            case .customer: return (ko ? "고객" : "Customer", m.text)
            case .agent: return ("\(m.agentName ?? (ko ? "상담원" : "Agent")) (\(ko ? "상담원" : "agent"))", m.text)
            case .system: return (ko ? "안내" : "Notice", m.text)
            }
        case .agentJoined(let e):
            return ("", ko ? "\(e.agentName) 상담원이 상담을 맡았어요" : "\(e.agentName) joined the conversation")
        case .transferred(let e):
            let why = e.reason == .agentLeft ? (ko ? " (상담원 연결 끊김)" : " (the agent went away)") : ""
            switch e.to {
            case .queue(let key):
                return ("", (ko ? "\(e.fromAgentName) 상담원이 상담을 \(key) 문의 대기열로 넘겼어요"
                                : "\(e.fromAgentName) transferred the conversation to the \(key) queue") + why)
            case .agent(let name):
                return ("", (ko ? "\(e.fromAgentName) 상담원이 상담을 \(name) 상담원에게 넘겼어요"
                                : "\(e.fromAgentName) transferred the conversation to \(name)") + why)
            }
        case .ended(let e):
            return ("", (ko ? "상담이 끝났어요: " : "The conversation ended: ") + endReason(e.reason, ko))
        case .rated(let e):
            return ("", (ko ? "평가 \(e.score)/5" : "Rated \(e.score)/5") + (e.comment.map { ": \($0)" } ?? ""))
        case .erased(let e):
            return ("", ko ? "고객의 요청으로 \(e.throughSeq)번 기록까지 고객의 말을 지웠어요"
                           : "The customer's text up to event \(e.throughSeq) was erased at the customer's request")
        case .messageLeft(let m):
            return (ko ? "고객 (남긴 메시지)" : "Customer (left a message)", m.text)
        }
    }

    /// Words for `conversation_ended`'s reason.
    static func endReason(_ reason: ChatProtocol.ConversationEndReason, _ ko: Bool) -> String {
        switch reason {
        case .agentEnded: ko ? "상담원이 종료했어요" : "the agent ended it"
        case .customerLeft: ko ? "고객이 나갔어요" : "the customer left"
        case .customerTimedOut: ko ? "고객의 연결이 끊긴 채 시간이 지났어요" : "the customer's connection was lost and did not come back in time"
        case .closed: ko ? "운영 시간이 끝났어요" : "business hours ended"
        }
    }

    /// `YYYY-MM-DD HH:MM:SS` local time in `zone` for Unix milliseconds.
    static func localTime(_ ms: Int64, _ zone: TimeZoneOffset) -> String {
        let local = zone.localSeconds(WallTime(millisecondsSince1970: ms)) * 1_000
        let utc = timestamp(local)
        return String(utc.dropLast(4))  // the calendar arithmetic is the same; drop " UTC"
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
