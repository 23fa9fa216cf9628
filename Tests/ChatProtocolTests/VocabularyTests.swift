import Testing
import ChatCore
import ChatProtocol

/// The wire enumerations spell ChatCore's ideas with ChatCore's raw values, so the
/// glue maps between them by `rawValue` (both modules' names may be qualified).
struct VocabularyTests {
    @Test func agentStatusesAreSpelledAlike() {
        #expect(ChatCore.AgentStatus.allCases.map(\.rawValue) == ChatProtocol.AgentStatus.allCases.map(\.rawValue))
    }

    @Test func languagesAreSpelledAlike() {
        #expect(ChatCore.Language.allCases.map(\.rawValue) == ChatProtocol.Language.allCases.map(\.rawValue))
    }

    @Test func reasonsAreSpelledAlike() {
        #expect(ChatCore.OfferEndReason.allCases.map(\.rawValue) == ChatProtocol.OfferEndReason.allCases.map(\.rawValue))
        #expect(ChatCore.ConversationEndReason.allCases.map(\.rawValue)
                == ChatProtocol.ConversationEndReason.allCases.map(\.rawValue))
        for reason in [ChatCore.LeaveMessageReason.closed, .unattended] {
            #expect(ChatProtocol.LeaveMessageReason(rawValue: reason.rawValue) != nil)
        }
        for reason in [Transfer.Reason.requested, .agentLeft] {
            #expect(TransferReason(rawValue: reason.rawValue) != nil)
        }
    }

    @Test func theLiveChannelsAreTheWiresChannels() {
        let live = ChatCore.Channel.allCases.filter(\.isLive).map(\.rawValue)
        #expect(live == ChatProtocol.Channel.allCases.map(\.rawValue))
    }
}
