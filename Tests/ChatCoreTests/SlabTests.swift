import Testing
import ChatCore

struct SlabTests {
    @Test func storedRecordsAreFoundByTheirIds() {
        var slab = Slab<ContactID, String>()
        let a = slab.insert { "a\($0.rawValue)" }
        let b = slab.insert { _ in "b" }
        #expect(slab[a] == "a\(a.rawValue)")
        #expect(slab[b] == "b")
        #expect(slab.count == 2)
    }

    @Test func aRemovedRecordsIdGoesStaleEvenWhenItsSlotIsReused() {
        var slab = Slab<ContactID, String>()
        let a = slab.insert { _ in "a" }
        slab.remove(a)
        #expect(slab[a] == nil)
        let b = slab.insert { _ in "b" }
        #expect(b != a)
        #expect(slab[a] == nil)
        #expect(slab[b] == "b")
        slab.remove(a)  // stale: no effect
        #expect(slab[b] == "b")
    }

    /// A removed record's id is told apart from one not issued yet (a cluster node whose
    /// replica is behind the log must wait for the second, not for the first).
    @Test func aRemovedIdIsToldApartFromOneNotIssuedYet() {
        var slab = Slab<ContactID, String>(generationLimit: 2)
        let a = slab.insert { _ in "a" }
        #expect(!slab.wasRemoved(a))
        slab.remove(a)
        #expect(slab.wasRemoved(a))
        let next = ContactID(UInt64(2) << 32 | (a.rawValue & 0xFFFF_FFFF))   // the id the slot hands out next
        #expect(!slab.wasRemoved(next))
        let b = slab.insert { _ in "b" }
        #expect(b == next && !slab.wasRemoved(b))
        slab.remove(b)   // generation 2 is the limit: the slot is retired, not freed
        #expect(slab.wasRemoved(b) && slab.wasRemoved(a))
        #expect(!slab.wasRemoved(ContactID(UInt64(1) << 32 | 7)), "a slot never used")
    }

    @Test func idsThatWereNeverIssuedFindNothing() {
        var slab = Slab<ContactID, Int>()
        let a = slab.insert { _ in 1 }
        slab.remove(a)
        let guessedNext = ContactID(a.rawValue + (1 << 32))
        #expect(slab[guessedNext] == nil)
        #expect(slab[ContactID(12_345)] == nil)
        #expect(!slab.contains(ContactID(0)))
    }
}

struct SlabIDTests {
    @Test func idsStayJSONSafeAndDistinctAcrossManyReuses() {
        var slab = Slab<ConversationID, Int>()
        var seen = Set<ConversationID>()
        for i in 0..<5_000 {
            let id = slab.insert { _ in i }
            #expect(id.rawValue < 1 << 53)
            #expect(seen.insert(id).inserted)
            if i % 3 != 0 { slab.remove(id) }
        }
        #expect(slab.count == 1_667)
    }

    @Test func aSlotWhoseGenerationsAreSpentIsRetiredNotReused() {
        // Conversation ids name transcripts on disk: one id must never come back.
        var slab = Slab<ConversationID, Int>(generationLimit: 3)
        var seen = Set<ConversationID>()
        for i in 0..<10 {
            let id = slab.insert { _ in i }
            #expect(seen.insert(id).inserted)
            slab.remove(id)
            #expect(slab[id] == nil)
        }
        // Each slot gives three ids before it is retired: slots 0, 1, 2 spent, slot 3 in use.
        #expect(Set(seen.map { $0.rawValue & 0xFFFF_FFFF }) == [0, 1, 2, 3])
        #expect(seen.allSatisfy { $0.rawValue >> 32 >= 1 && $0.rawValue >> 32 <= 3 })
        #expect(slab.count == 0)
    }
}
