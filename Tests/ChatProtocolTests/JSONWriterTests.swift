import Testing
@testable import ChatProtocol

struct JSONWriterTests {
    func written(_ body: (inout JSONWriter) -> Void) -> String {
        var w = JSONWriter()
        body(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    @Test func stringsGetTheMinimalEscapes() {
        #expect(written { $0.string("a\"b\\c\nd\re\tf\u{1}g\u{7F}한😀/") } == #""a\"b\\c\nd\re\tf\u0001g"# + "\u{7F}한😀/\"")
    }

    /// The writer copies unescaped runs whole: escapes at either end, back to back, or
    /// alone must not lose or repeat a byte of the run beside them.
    @Test func escapesAtTheEdgesOfARunKeepEveryByte() {
        #expect(written { $0.string("") } == #""""#)
        #expect(written { $0.string("\"abc") } == #""\"abc""#)
        #expect(written { $0.string("abc\n") } == #""abc\n""#)
        #expect(written { $0.string("\n\n") } == #""\n\n""#)
        #expect(written { $0.string("한\u{0}국") } == "\"한\\u0000국\"")
    }

    @Test func commasSeparateMembersAndElementsAtEveryLevel() {
        let json = written { w in
            w.beginObject()
            w.field("a", Int64(1))
            w.key("b")
            w.beginArray()
            w.element(); w.beginObject(); w.field("c", true); w.endObject()
            w.element(); w.beginObject(); w.endObject()
            w.element(); w.string("d")
            w.endArray()
            w.field("e", false)
            w.field("f", nil as String?)
            w.endObject()
        }
        #expect(json == #"{"a":1,"b":[{"c":true},{},"d"],"e":false}"#)
    }

    @Test func integersCoverTheirWholeRange() {
        #expect(written { $0.integer(0) } == "0")
        #expect(written { $0.integer(-42) } == "-42")
        #expect(written { $0.integer(.max) } == "9223372036854775807")
        #expect(written { $0.integer(.min) } == "-9223372036854775808")
    }

    @Test func doublesAreShortestAndWholeOnesHaveNoFraction() {
        #expect(written { $0.double(0.71) } == "0.71")
        #expect(written { $0.double(1) } == "1")
        #expect(written { $0.double(0) } == "0")
        #expect(written { $0.double(1e-7) } == "1e-07")
        #expect(written { $0.double(.nan) } == "0")
        #expect(written { $0.double(.infinity) } == "0")
    }

    @Test func whatItWritesTheReaderReadsBack() throws {
        let text = "줄\n바꿈 \u{0}\u{1F} \"따옴표\" \\ 😀"
        let bytes = written { $0.string(text) }
        let result = Array(bytes.utf8).withUnsafeBytes { raw in
            Result { () throws(ProtocolError) in try JSONReader.value(from: raw) }
        }
        guard case .success(.string(let back)) = result else { Issue.record("\(result)"); return }
        #expect(back == text)
    }
}
