import Testing
@testable import ChatStorage

struct TranscriptRingTests {
    func key(_ n: UInt64) -> TranscriptKey { TranscriptKey(boot: 1, number: n) }

    @Test func durableEntriesGoOldestFirstOnceOverBudget() {
        var ring = TranscriptRing(budget: 4 * (RecordFormat.recordSize(payload: 10) + TranscriptRing.entryOverhead) + 2 * TranscriptRing.streamOverhead)
        var end: UInt64 = 0
        for seq in Int64(1)...10 {
            end += 100
            ring.append(key(UInt64(seq % 2)), seq: (seq + 1) / 2, payload: [UInt8](repeating: 1, count: 10), end: end)
        }
        ring.evict(durable: end)
        #expect(ring.bytes <= ring.budget)
        #expect(ring.firstSeq(of: key(0)) == 4)
        #expect(ring.firstSeq(of: key(1)) == 4)
        #expect(ring.payload(of: key(1), seq: 3) == nil)
        #expect(ring.payload(of: key(1), seq: 5) == [UInt8](repeating: 1, count: 10))
    }

    @Test func entriesNotYetDurableStayWhateverTheBudget() {
        var ring = TranscriptRing(budget: 1)
        for seq in Int64(1)...5 { ring.append(key(1), seq: seq, payload: [1], end: UInt64(seq) * 10) }
        ring.evict(durable: 30)
        #expect(ring.firstSeq(of: key(1)) == 4)
        #expect(ring.entryCount == 2)
        ring.evict(durable: 50)
        #expect(ring.entryCount == 0 && ring.bytes == 0 && ring.conversationCount == 0)
    }

    @Test func tenThousandConversationsStayWithinTheBudget() {
        let budget = 2 << 20
        var ring = TranscriptRing(budget: budget)
        var end: UInt64 = 0
        for round in Int64(1)...20 {
            for n in UInt64(0)..<10_000 {
                end += 1
                ring.append(key(n), seq: round, payload: [UInt8](repeating: 7, count: 40), end: end)
                ring.evict(durable: end)
                #expect(ring.bytes <= budget + RecordFormat.recordSize(payload: 40) + TranscriptRing.entryOverhead + TranscriptRing.streamOverhead)
            }
        }
        #expect(ring.bytes <= budget)
        #expect(ring.payload(of: key(9_999), seq: 20) != nil)
    }
}
