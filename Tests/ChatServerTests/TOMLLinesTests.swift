import Testing
@testable import ChatServer

struct TOMLLinesTests {
    @Test func keysTablesAndArraysOfTablesHaveTheirLines() {
        let lines = TOMLLines("""
        # comment = not a key
        top = 1
        [limits]
        max_text_length = 10

        [[agents]]
        handle = "a"
        [[agents]]
        handle = "b"
        skills = [
          "orders",
        ]
        [[faq.entries]]
        id = "x"
        answer = \"\"\"
        fake = key
        \"\"\"
        after = 2
        """)
        #expect(lines.line(of: "top") == 2)
        #expect(lines.line(of: "limits") == 3)
        #expect(lines.line(of: "limits.max_text_length") == 4)
        #expect(lines.line(of: "agents[0].handle") == 7)
        #expect(lines.line(of: "agents[1].handle") == 9)
        #expect(lines.line(of: "agents[1].skills[0]") == 10)
        #expect(lines.line(of: "faq.entries[0].id") == 14)
        #expect(lines.line(of: "faq.entries[0].fake") == 13)  // inside a string: falls back to the table
        #expect(lines.line(of: "faq.entries[0].after") == 18)
        #expect(lines.line(of: "agents[1].missing") == 8)
        #expect(lines.line(of: "nowhere") == nil)
    }

    /// Issue 15, item 6: in a CRLF file every path was on line 1 (Swift reads "\r\n" as
    /// one character, never equal to "\n"), so errors pointed at the wrong line.
    @Test func aCRLFTextHasTheSameLinesAsAnLFText() {
        let text = "top = 1\n[limits]\nmax_text_length = 10\n\n[[agents]]\nhandle = \"a\"\n[[agents]]\nhandle = \"b\"\n"
        let lf = TOMLLines(text)
        let crlf = TOMLLines(text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n"))
        for (path, line) in [("top", 1), ("limits", 2), ("limits.max_text_length", 3), ("agents[0].handle", 6), ("agents[1].handle", 8)] {
            #expect(lf.line(of: path) == line, "\(path)")
            #expect(crlf.line(of: path) == line, "\(path)")
        }
    }
}
