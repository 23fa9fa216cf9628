import ChatProtocol
import ChatStorage
import Glibc
import Posix
import Testing
@testable import ChatServer

/// An export carries its chain head and checks out against the store, in all three
/// formats; an edited export or an edited store does not.
struct ExportVerifierTests {
    let key = TranscriptKey(boot: 1, number: 5)
    let wire = "c-1-5"

    final class Directory {
        let path: String
        init() {
            var template = Array("/tmp/switchboard-export-XXXXXX".utf8CString)
            path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        }
        deinit {
            for name in (try? File.list(path)) ?? [] { unlink(path + "/" + name) }
            rmdir(path)
        }
    }

    func events(_ now: Int64) -> [ConversationEvent] {
        [.message(ChatMessage(conversation: wire, seq: 1, ts: now, from: .customer, text: "카드 **** **** **** 1111 <b>")),
         .agentJoined(AgentJoined(conversation: wire, seq: 2, ts: now + 1, agentName: "박민지")),
         .message(ChatMessage(conversation: wire, seq: 3, ts: now + 2, from: .agent, agentName: "박민지", text: "네"))]
    }

    /// Writes the events through the store; returns the export's head.
    func store(_ events: [ConversationEvent], in dir: Directory) -> ChainHead {
        var c = StorageConfiguration(directory: dir.path)
        c.fsync = .always
        let log = TranscriptLog(configuration: c, report: { _ in })
        for event in events { log.append(key, seq: event.seq, ts: event.ts, payload: ServerMessage.event(event).encoded()) }
        let head = ChainHead(conversation: wire, seq: events.last!.seq, sha256: log.link(of: key)!.hex)
        log.close()
        return head
    }

    @Test(arguments: [TranscriptExport.Format.json, .text, .html])
    func anExportMatchesTheStoreAndAnEditDoesNot(format: TranscriptExport.Format) {
        let dir = Directory()
        let now = Int64(time(nil)) * 1000
        let events = events(now)
        let head = store(events, in: dir)
        let export = TranscriptExport.render(format, wire, events, head: head)
        #expect(ExportVerifier.verify(export: export, directory: dir.path) == .matches(conversation: wire, seq: 3, records: 3))
        let text = String(decoding: export, as: UTF8.self).replacingOccurrences(of: "1111", with: "2222")
        guard case .mismatch = ExportVerifier.verify(export: Array(text.utf8), directory: dir.path) else {
            Issue.record("an edited export verified")
            return
        }
        let edited = Array(String(decoding: export, as: UTF8.self).replacingOccurrences(of: head.sha256, with: String(repeating: "0", count: 64)).utf8)
        guard case .mismatch = ExportVerifier.verify(export: edited, directory: dir.path) else {
            Issue.record("a changed head verified")
            return
        }
    }

    @Test func anExportTakenBeforeLaterEventsStillMatches() throws {
        let dir = Directory()
        let events = events(Int64(time(nil)) * 1000)
        _ = store(events, in: dir)
        let report = try ChainVerifier.verify(directory: dir.path, collect: key)
        let second = try #require(report.collected.first { $0.seq == 2 })
        let head = ChainHead(conversation: wire, seq: 2, sha256: second.link.hex)
        let export = TranscriptExport.render(.text, wire, Array(events.prefix(2)), head: head)
        #expect(ExportVerifier.verify(export: export, directory: dir.path) == .matches(conversation: wire, seq: 2, records: 2))
    }

    @Test func aFileWithoutAHeadIsUnreadableNotAMismatch() {
        let dir = Directory()
        guard case .unreadable = ExportVerifier.verify(export: Array("hello".utf8), directory: dir.path) else {
            Issue.record("not unreadable")
            return
        }
    }
}
