import ChatCore
import ChatProtocol
import ChatStorage

/// `switchboard verify-export FILE --data-dir DIR`: shows that a customer's exported
/// transcript (JSON, text or HTML) is what the store holds (protocol/storage.md,
/// "Tamper evidence"). The store's chain must verify; the record the export names as
/// its head must carry the link the export prints; and the export must be, byte for
/// byte, what the broker renders from the verified records up to that head. Pure apart
/// from reading the store; runs on the caller's thread.
public enum ExportVerifier {
    public enum Outcome: Equatable, Sendable {
        /// The export matches: its conversation, head seq and the records verified.
        case matches(conversation: String, seq: Int64, records: Int)
        /// The export or the store do not check out; why.
        case mismatch(String)
        /// The file is not an export with a chain head.
        case unreadable(String)
    }

    public static func verify(export bytes: [UInt8], directory: String) -> Outcome {
        guard let (format, head) = readHead(bytes) else {
            return .unreadable("no chain head found: not a transcript export of this broker (or one from before issue 18)")
        }
        guard let key = LeftMessageRecords.anyKey(head.conversation) else { return .unreadable("bad conversation id \(head.conversation)") }
        guard let link = ChainHash(hex: head.sha256) else { return .unreadable("bad sha256 \(head.sha256)") }
        let report: ChainReport
        do {
            report = try ChainVerifier.verify(directory: directory, collect: key)
        } catch {
            return .unreadable("cannot read the store \(directory): \(error)")
        }
        if let broken = report.firstBreak { return .mismatch("the store's chain is broken: \(broken)") }
        guard let record = report.collected.first(where: { $0.seq == head.seq }) else {
            return .mismatch("the store holds no record of \(head.conversation) seq \(head.seq)")
        }
        guard record.link == link else {
            return .mismatch("the store's link of \(head.conversation) seq \(head.seq) is \(record.link.hex), the export says \(head.sha256)")
        }
        var events: [ConversationEvent] = []
        for stored in report.collected where stored.seq <= head.seq {
            guard case .event(let event)? = try? ServerMessage.decode(stored.payload) else {
                return .mismatch("the stored event \(head.conversation) seq \(stored.seq) does not decode")
            }
            events.append(event)
        }
        // An erasure before the head: the export was served without the erased words.
        let erased = events.compactMap { if case .erased(let e) = $0 { e.throughSeq } else { nil } }.max()
        events = events.map { Erasure.redacted($0, through: erased) }
        let expected = TranscriptExport.render(format, head.conversation, events, head: head, style: style(of: bytes, format))
        guard expected == bytes else {
            let at = (0..<min(expected.count, bytes.count)).first { expected[$0] != bytes[$0] } ?? min(expected.count, bytes.count)
            return .mismatch("the export differs from the store's records at byte \(at)")
        }
        return .matches(conversation: head.conversation, seq: head.seq, records: events.count)
    }

    /// The language and time zone a text or HTML export says it is in (its title and
    /// its zone line): the export is rendered again in them, so a wrong claim shows as
    /// a difference like any other.
    static func style(of bytes: [UInt8], _ format: TranscriptExport.Format) -> TranscriptExport.Style {
        guard format != .json else { return .englishUTC }
        let text = String(decoding: bytes.prefix(4_096), as: UTF8.self)
        let korean = text.contains(TranscriptExport.title("", TranscriptExport.Style(language: .ko, zone: .utc)))
        var zone = TimeZoneOffset.utc
        for label in ["시간대: ", "Times in "] {
            guard let r = text.range(of: label), let end = text[r.upperBound...].range(of: " (UTC") else { continue }
            let name = String(text[r.upperBound..<end.lowerBound])
            if let found = try? TimeZoneDatabase.zone(named: name) { zone = found }
            break
        }
        return TranscriptExport.Style(language: korean ? .ko : .en, zone: zone)
    }

    /// The export's format and the chain head it prints.
    static func readHead(_ bytes: [UInt8]) -> (TranscriptExport.Format, ChainHead)? {
        let text = String(decoding: bytes, as: UTF8.self)
        let format: TranscriptExport.Format
        if text.hasPrefix("{") {
            format = .json
            guard let r = text.range(of: ",\"chain\":{\"conversation\":\"") else { return nil }
            let rest = text[r.upperBound...]
            // c-1-2 | , | seq | :4, | sha256 | : | HEX | }}
            let parts = rest.split(separator: "\"", maxSplits: 8, omittingEmptySubsequences: false)
            guard parts.count >= 7, parts[2] == "seq", parts[4] == "sha256",
                  let seq = Int64(String(parts[3].filter(\.isNumber))) else { return nil }
            return (format, ChainHead(conversation: String(parts[0]), seq: seq, sha256: String(parts[6])))
        }
        format = text.hasPrefix("<!DOCTYPE") ? .html : .text
        guard let r = text.range(of: TranscriptExport.headLabel, options: .backwards) else { return nil }
        let words = text[r.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "<" }).prefix(5)
        guard words.count == 5, words[words.startIndex + 1] == "seq", words[words.startIndex + 3] == "sha256",
              let seq = Int64(words[words.startIndex + 2]) else { return nil }
        return (format, ChainHead(conversation: String(words[words.startIndex]), seq: seq, sha256: String(words[words.startIndex + 4])))
    }
}
