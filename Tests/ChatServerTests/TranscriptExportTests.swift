import ChatProtocol
import Testing
@testable import ChatServer

struct TranscriptExportTests {
    let events: [ConversationEvent] = [
        .message(ChatMessage(conversation: "c-2-5", seq: 1, ts: 1_777_890_063_000, from: .customer, text: "<b>배송</b> & 환불")),
        .agentJoined(AgentJoined(conversation: "c-2-5", seq: 2, ts: 1_777_890_070_000, agentName: "박민지")),
        .message(ChatMessage(conversation: "c-2-5", seq: 3, ts: 1_777_890_075_000, from: .agent, agentName: "박민지", text: "네")),
        .rated(Rated(conversation: "c-2-5", seq: 4, ts: 1_777_890_080_000, score: 5, comment: "감사")),
    ]

    @Test func timestampsAreUTCCalendarTimes() {
        #expect(TranscriptExport.timestamp(0) == "1970-01-01 00:00:00 UTC")
        #expect(TranscriptExport.timestamp(951_782_400_000) == "2000-02-29 00:00:00 UTC")
        #expect(TranscriptExport.timestamp(1_777_890_063_999) == "2026-05-04 10:21:03 UTC")
        #expect(TranscriptExport.timestamp(-1) == "1969-12-31 23:59:59 UTC")
    }

    @Test func textHasOneLinePerEventWithWhoSaidIt() {
        let text = TranscriptExport.text("c-2-5", events)
        let lines = text.split(separator: "\n")
        #expect(lines[0] == "Transcript of conversation c-2-5")
        #expect(lines[1] == "Times in UTC (UTC+00:00)")
        #expect(lines[2] == "2026-05-04 10:21:03  Customer: <b>배송</b> & 환불")
        #expect(lines[3] == "2026-05-04 10:21:10  박민지 joined the conversation")
        #expect(lines[4] == "2026-05-04 10:21:15  박민지 (agent): 네")
        #expect(lines[5] == "2026-05-04 10:21:20  Rated 5/5: 감사")
    }

    @Test func aKoreanConversationReadsInKoreanInTheCentresZone() {
        let style = TranscriptExport.Style(language: .ko, zone: .seoul)
        let ended = events + [.ended(ConversationEnded(conversation: "c-2-5", seq: 5, ts: 1_777_890_090_000, reason: .agentEnded))]
        let lines = TranscriptExport.text("c-2-5", ended, style: style).split(separator: "\n")
        #expect(lines[0] == "상담 기록 c-2-5")
        #expect(lines[1] == "시간대: Asia/Seoul (UTC+09:00)")
        #expect(lines[2] == "2026-05-04 19:21:03  고객: <b>배송</b> & 환불")  // 10:21 UTC is 19:21 in Seoul
        #expect(lines[3] == "2026-05-04 19:21:10  박민지 상담원이 상담을 맡았어요")
        #expect(lines[4] == "2026-05-04 19:21:15  박민지 (상담원): 네")
        #expect(lines[5] == "2026-05-04 19:21:20  평가 5/5: 감사")
        #expect(lines[6] == "2026-05-04 19:21:30  상담이 끝났어요: 상담원이 종료했어요")
        #expect(!lines.joined().contains("agent_ended"))
        let html = TranscriptExport.html("c-2-5", ended, style: style)
        #expect(html.contains("<html lang=\"ko\">") && html.contains("시간대: Asia/Seoul (UTC+09:00)"))
    }

    @Test func everyEndReasonHasWordsInBothLanguages() {
        for reason in ConversationEndReason.allCases {
            for ko in [true, false] {
                let words = TranscriptExport.endReason(reason, ko)
                #expect(!words.contains(reason.rawValue) && !words.contains("_"), "\(reason)")
            }
        }
    }

    @Test func htmlEscapesWhatPeopleWrote() {
        let html = TranscriptExport.html("c-2-5", events)
        #expect(html.contains("&lt;b&gt;배송&lt;/b&gt; &amp; 환불"))
        #expect(!html.contains("<b>배송"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
    }

    @Test func jsonCarriesTheEventsAsOnTheWire() throws {
        let json = String(decoding: TranscriptExport.json("c-2-5", events), as: UTF8.self)
        #expect(json.hasPrefix("{\"conversation\":\"c-2-5\",\"first_seq\":1,\"last_seq\":4,\"events\":[{\"type\":\"message\""))
        #expect(json.hasSuffix("}]}"))
    }
}
