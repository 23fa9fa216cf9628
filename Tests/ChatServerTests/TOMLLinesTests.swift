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
}
