import ChatCore
import ChatStorage
import Testing
@testable import ChatServer

struct WireIDTests {
    @Test func idsRoundTripThroughTheirWireForm() {
        for raw: UInt64 in [0, 1, 42, 4_294_967_296, 9_007_199_254_740_991] {
            #expect(WireID.conversation(WireID.conversation(ConversationID(raw), boot: 7)) == TranscriptKey(boot: 7, number: raw))
            #expect(WireID.offer(WireID.offer(OfferID(raw))) == OfferID(raw))
        }
        #expect(WireID.contact(ContactID(7)) == "k-7")
        #expect(WireID.conversation(ConversationID(5), boot: 12) == "c-12-5")
    }

    @Test func onlyTheExactFormNamesAnything() {
        for text in ["c-", "c-x", "c-01", "c--1", "c-1 ", "C-1", "o-1", "c-12345678901234567", "c-1.0", "c-1", "c-1-", "c-01-1",
                     "c-1-01", "c-1--1", "c-4294967296-1", "c-1-2-3", "c-1-12345678901234567"] {
            #expect(WireID.conversation(text) == nil, "\(text)")
        }
        #expect(WireID.offer("c-1") == nil)
    }
}
