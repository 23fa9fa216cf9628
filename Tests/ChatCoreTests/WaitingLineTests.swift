import Testing
import ChatCore

struct WaitingLineTests {
    static func line(_ keys: [Int64]) -> WaitingLine {
        var line = WaitingLine()
        for k in keys { line.insert(.init(key: k, contact: ContactID(UInt64(k)))) }
        return line
    }

    @Test func arrivalsAppendInOrder() {
        let line = Self.line([1, 2, 3])
        #expect(line.entries.map(\.key) == [1, 2, 3])
        #expect(line.position(of: 3) == 2)
    }

    @Test func anOlderKeyReturnsToItsOriginalPlace() {
        var line = Self.line([1, 3, 5])
        #expect(line.insert(.init(key: 2, contact: ContactID(2))) == 1)
        #expect(line.entries.map(\.key) == [1, 2, 3, 5])
        #expect(line.insert(.init(key: -10, contact: ContactID(10))) == 0)
    }

    @Test func removingFromTheMiddleMovesEveryoneBehindUp() {
        var line = Self.line([1, 2, 3, 4])
        #expect(line.remove(key: 2) == 1)
        #expect(line.position(of: 4) == 2)
        #expect(line.remove(key: 2) == nil)
        #expect(line.remove(key: 1) == 0)
        #expect(line.entries.map(\.key) == [3, 4])
    }

    @Test func positionOfAMissingKeyIsNil() {
        #expect(Self.line([1, 3]).position(of: 2) == nil)
        #expect(WaitingLine().position(of: 1) == nil)
    }
}
