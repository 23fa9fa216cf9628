import Posix
import Testing

struct ProcessFiguresTests {
    // A real line of /proc/PID/stat, with a command name holding a space and a ')'.
    let line = "4242 (switch board) x) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 75 0 0 20 0 9 0 123456 "
        + "700000000 4096 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

    @Test func statFieldsAreCountedAfterTheLastParenthesis() {
        let fields = ProcessFigures.StatFields(line)
        #expect(fields == nil ? false : true)
        #expect(fields?.userTicks == 250)
        #expect(fields?.systemTicks == 75)
        #expect(fields?.startTicks == 123456)
        #expect(fields?.residentPages == 4096)
    }

    @Test func aTruncatedStatLineIsRefused() {
        #expect(ProcessFigures.StatFields("4242 (x) S 1 2 3") == nil)
        #expect(ProcessFigures.StatFields("no parenthesis at all") == nil)
    }

    @Test func bootTimeComesFromBtime() {
        #expect(ProcessFigures.bootTime(procStat: "cpu  1 2 3\nbtime 1796500000\nprocesses 9\n") == 1_796_500_000)
        #expect(ProcessFigures.bootTime(procStat: "cpu  1 2 3\n") == nil)
    }

    @Test func thisProcessHasPlausibleFigures() throws {
        let p = try #require(ProcessFigures.current())
        #expect(p.residentBytes > 1_000_000)
        #expect(p.openFileDescriptors >= 3 && p.openFileDescriptors <= p.maxFileDescriptors)
        #expect(p.cpuSeconds >= 0)
        #expect(p.startTimeSeconds > 1_600_000_000)
    }
}
