import Testing
import ChatCore

/// Voice is exclusive: a call occupies the whole agent, and an agent with a chat open
/// takes no call (see `Capacity`).
struct ContactCenterVoiceTests {
    @Test func aCallOccupiesTheWholeAgent() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let call = try h.arrive(.orders, .voice)
        let chat = try h.arrive()
        #expect(h.holder(of: call) == kim)
        #expect(h.holder(of: chat) == nil)
        #expect(h.center.agent(kim)?.freeChatSlots == 0)
        h.run(try h.center.endConversation(h.conversation(of: call)!, by: kim))
        #expect(h.holder(of: chat) == kim)
    }

    @Test func anAgentWithAChatOpenTakesNoCallUntilAllChatsEnd() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        let chat1 = try h.arrive()
        let chat2 = try h.arrive()
        let call = try h.arrive(.orders, .voice)
        #expect(h.holder(of: call) == nil)
        #expect(h.waiting(.orders, .voice) == [call])
        h.run(try h.center.endConversation(h.conversation(of: chat1)!, by: kim))
        #expect(h.holder(of: call) == nil)
        h.run(try h.center.endConversation(h.conversation(of: chat2)!, by: kim))
        #expect(h.holder(of: call) == kim)
        #expect(h.center.agent(kim)?.heldCalls == 1)
    }

    @Test func aWaitingCallDoesNotBlockChatsBehindIt() throws {
        let h = try Harness()
        let kim = try h.agent("kim")
        try h.arrive()
        let call = try h.arrive(.orders, .voice)
        let chat = try h.arrive()
        #expect(h.holder(of: call) == nil)
        #expect(h.holder(of: chat) == kim)
    }

    @Test func callsAndChatsWaitInSeparateLinesWithTheirOwnPlaces() throws {
        let h = try Harness()
        try h.agent("kim", chat: 1, status: .away)
        let chat = try h.arrive()
        let call = try h.arrive(.orders, .voice)
        #expect(h.center.placeInLine(of: chat) == 1)
        #expect(h.center.placeInLine(of: call) == 1)
        #expect(h.center.status(of: .orders)?.waitingChats == 1)
        #expect(h.center.status(of: .orders)?.waitingCalls == 1)
    }

    @Test func anIdleAgentTakesWhicheverWaitedLongerCallOrChat() throws {
        let h = try Harness()
        let kim = try h.agent("kim", status: .away)
        let call = try h.arrive(.orders, .voice)
        let chat = try h.arrive()
        h.run(try h.center.setStatus(kim, .available))
        #expect(h.holder(of: call) == kim)
        #expect(h.holder(of: chat) == nil)
    }

    @Test func anAgentWithNoVoiceCapacityNeverGetsCalls() throws {
        let h = try Harness()
        try h.agent("kim", voice: 0)
        let call = try h.arrive(.orders, .voice)
        #expect(h.holder(of: call) == nil)
        let lee = try h.agent("lee")
        #expect(h.holder(of: call) == lee)
    }
}

