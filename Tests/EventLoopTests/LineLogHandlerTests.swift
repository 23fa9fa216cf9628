import Logging
import Posix
import Testing

struct LineLogHandlerTests {
    @Test func theTextFormatIsTheBrokersLine() {
        let line = LineLogHandler.line(format: .text, stamp: "2026-05-04T10:21:03.123Z", level: .info, label: "switchboard",
                                       message: "transcripts: 0 segment(s)", metadata: [:])
        #expect(line == "2026-05-04T10:21:03.123Z info transcripts: 0 segment(s)\n")
        let warned = LineLogHandler.line(format: .text, stamp: "T", level: .critical, label: "x", message: "m",
                                         metadata: ["b": "2", "a": "1"])
        #expect(warned == "T error m a=1 b=2\n")
    }

    @Test func theJSONFormatIsOneObjectPerLineWithEverythingEscaped() {
        let line = LineLogHandler.line(format: .json, stamp: "2026-05-04T10:21:03.123Z", level: .warning, label: "switchboard",
                                       message: "상담 \"끝\"\n\\ \u{1}", metadata: ["peer": "127.0.0.1"])
        #expect(line == "{\"ts\":\"2026-05-04T10:21:03.123Z\",\"level\":\"warning\",\"label\":\"switchboard\","
            + "\"message\":\"상담 \\\"끝\\\"\\n\\\\ \\u0001\",\"metadata\":{\"peer\":\"127.0.0.1\"}}\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test func theTimestampIsUTCToTheMillisecond() {
        let stamp = LineLogHandler.currentTimestamp()
        #expect(stamp.count == 24 && stamp.hasSuffix("Z") && stamp.dropFirst(10).first == "T")
    }
}
