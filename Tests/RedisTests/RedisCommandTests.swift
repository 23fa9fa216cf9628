import Testing
@testable import Redis

struct RedisCommandTests {
    @Test func aCommandIsAnArrayOfBulkStrings() {
        let command = RedisCommand("set", "key", [UInt8]([0, 13, 10]), 42, Int64(-7))
        let expected = "*5\r\n$3\r\nset\r\n$3\r\nkey\r\n$3\r\n\0\r\n\r\n$2\r\n42\r\n$2\r\n-7\r\n"
        #expect(command.bytes == Array(expected.utf8))
        #expect(command.name == "SET")
    }

    @Test func aCommandDecodesAsTheValueAServerWouldRead() throws {
        var decoder = RESPDecoder()
        decoder.append(RedisCommand("XADD", "s", "*", "body", "안녕하세요").bytes)
        #expect(try decoder.next() == .array(["XADD", "s", "*", "body", "안녕하세요"].map { .bulk(Array($0.utf8)) }))
    }

    @Test func repliesReadAsTextOrNumbers() {
        #expect(RESPValue.simple("OK").text == "OK")
        #expect(RESPValue.bulk(Array("12".utf8)).integer == 12)
        #expect(RESPValue.integer(3).integer == 3)
        #expect(RESPValue.bulk(nil).isNull)
        #expect(RESPValue.array([]).text == nil)
    }
}
