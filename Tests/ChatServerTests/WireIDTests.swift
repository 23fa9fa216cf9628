import ChatCore
import Testing
@testable import ChatServer

struct WireIDTests {
    @Test func idsRoundTripThroughTheirWireForm() {
        for raw: UInt64 in [0, 1, 42, 4_294_967_296, 9_007_199_254_740_991] {
            #expect(WireID.conversation(WireID.conversation(ConversationID(raw))) == ConversationID(raw))
            #expect(WireID.offer(WireID.offer(OfferID(raw))) == OfferID(raw))
        }
        #expect(WireID.contact(ContactID(7)) == "k-7")
    }

    @Test func onlyTheExactFormNamesAnything() {
        for text in ["c-", "c-x", "c-01", "c--1", "c-1 ", "C-1", "o-1", "c-12345678901234567", "c-1.0"] {
            #expect(WireID.conversation(text) == nil, "\(text)")
        }
        #expect(WireID.offer("c-1") == nil)
    }
}
