import Testing
@testable import Redis

struct RESPDecoderTests {
    private func decodeAll(_ text: String, limits: RESPLimits = RESPLimits()) throws -> [RESPValue] {
        var decoder = RESPDecoder(limits: limits)
        decoder.append(Array(text.utf8))
        var values: [RESPValue] = []
        while let value = try decoder.next() { values.append(value) }
        return values
    }

    @Test func everyReplyTypeDecodes() throws {
        let values = try decodeAll("+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n*0\r\n$0\r\n\r\n")
        #expect(values == [.simple("OK"), .error("ERR wrong"), .integer(-42), .bulk(Array("hello".utf8)), .bulk(nil),
                           .array(nil), .array([]), .bulk([])])
    }

    @Test func nestedArraysAsAStreamReadGivesThem() throws {
        let text = "*1\r\n*2\r\n$3\r\ns:1\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n"
        let values = try decodeAll(text)
        let entry = RESPValue.array([.bulk(Array("1-0".utf8)), .array([.bulk(Array("k".utf8)), .bulk(Array("v".utf8))])])
        #expect(values == [.array([.array([.bulk(Array("s:1".utf8)), .array([entry])])])])
    }

    @Test func aReplySplitAtEveryByteDecodesTheSame() throws {
        let bytes = Array("*3\r\n$4\r\nab\r\n\r\n:7\r\n*2\r\n+x\r\n$-1\r\n+after\r\n".utf8)
        let expected: [RESPValue] = [.array([.bulk(Array("ab\r\n".utf8)), .integer(7), .array([.simple("x"), .bulk(nil)])]),
                                     .simple("after")]
        for split in 0...bytes.count {
            var decoder = RESPDecoder()
            var values: [RESPValue] = []
            decoder.append(Array(bytes[..<split]))
            while let value = try decoder.next() { values.append(value) }
            decoder.append(Array(bytes[split...]))
            while let value = try decoder.next() { values.append(value) }
            #expect(values == expected, "split at \(split)")
        }
    }

    @Test func anIncompleteBulkStringWaitsForItsBytes() throws {
        var decoder = RESPDecoder()
        decoder.append(Array("$10\r\n12345".utf8))
        #expect(try decoder.next() == nil)
        decoder.append(Array("67890\r".utf8))
        #expect(try decoder.next() == nil)
        decoder.append([10])
        #expect(try decoder.next() == .bulk(Array("1234567890".utf8)))
        #expect(decoder.bufferedCount == 0)
    }

    @Test(arguments: [
        ("?x\r\n", "unknown type byte"),
        (":12a\r\n", "not a number"),
        (":\r\n", "not a number"),
        (":99999999999999999999\r\n", "not a number"),
        (":9223372036854775808\r\n", "out of range"),
        ("$-2\r\n", "bulk length"),
        ("$3\r\nabcd\r\n", "not followed by CRLF"),
        ("+OK\rX", "CR not followed by LF"),
        ("+OK\n", "LF without CR"),
        ("*-5\r\n", "array count"),
    ])
    func malformedRepliesAreRefusedWithTheReason(text: String, reason: String) {
        #expect {
            _ = try decodeAll(text)
        } throws: { error in
            (error as? RESPError)?.reason.contains(reason) == true
        }
    }

    @Test func limitsBoundWhatAServerCanMakeUsHold() {
        var limits = RESPLimits()
        limits.maxBulkLength = 8
        limits.maxArrayCount = 2
        limits.maxDepth = 2
        limits.maxLineLength = 10
        #expect(throws: RESPError.self) { _ = try decodeAll("$9\r\n", limits: limits) }
        #expect(throws: RESPError.self) { _ = try decodeAll("*3\r\n", limits: limits) }
        #expect(throws: RESPError.self) { _ = try decodeAll("*1\r\n*1\r\n*1\r\n:1\r\n", limits: limits) }
        #expect(throws: RESPError.self) { _ = try decodeAll("+" + String(repeating: "a", count: 20), limits: limits) }
        #expect((try? decodeAll("*1\r\n*1\r\n:1\r\n", limits: limits)) == [.array([.array([.integer(1)])])])
    }

    @Test func everyValueSurvivesEncodeThenDecode() throws {
        let values: [RESPValue] = [.simple("PONG"), .error("NOSCRIPT No matching script"), .integer(Int64.min + 1), .integer(0),
                                   .bulk(Array(0...255)), .bulk(nil), .array(nil),
                                   .array([.integer(1), .array([.bulk([]), .simple("")]), .array([])])]
        for value in values {
            var decoder = RESPDecoder()
            decoder.append(value.encoded())
            #expect(try decoder.next() == value)
        }
    }
}
