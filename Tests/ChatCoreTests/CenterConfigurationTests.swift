import Testing
import ChatCore

struct CenterConfigurationTests {
    @Test func theDefaultsRunWithTheGuidesFourQueues() throws {
        let center = try ContactCenter(clock: ManualClock())
        #expect(center.queues.map(\.name) == ["주문/배송", "취소/반품/환불", "상품 문의", "기타"])
        #expect(center.queues.map(\.key) == ["orders", "returns", "products", "other"])
        #expect(center.configuration.routing == .direct)
        #expect(center.isOpen)
        #expect(center.nextDeadline == nil)
    }

    @Test func invalidConfigurationsAreRejectedWithTheReason() {
        func rejects(_ change: (inout CenterConfiguration) -> Void) -> Bool {
            var c = CenterConfiguration()
            change(&c)
            do {
                _ = try ContactCenter(configuration: c, clock: ManualClock())
                return false
            } catch {
                return error.code == "invalid_configuration"
            }
        }
        #expect(rejects { $0.queues = [] })
        #expect(rejects { $0.queues.append(QueueConfiguration(key: "orders", name: "중복")) })
        #expect(rejects { $0.queues[0].key = "" })
        #expect(rejects { $0.routing = .offer(timeout: .zero) })
        #expect(rejects { $0.agentGracePeriod = .seconds(-1) })
        #expect(rejects { $0.faqThreshold = 1.5 })
        #expect(rejects { $0.faqEntries = [FAQEntry(id: "a", question: "q", answer: "a"),
                                           FAQEntry(id: "a", question: "q2", answer: "a2")] })
        #expect(!rejects { $0.routing = .offer(timeout: .seconds(10)) })
    }

    @Test func idsOfEndedContactsAreForgottenBeyondTheHistoryLimit() throws {
        let h = try Harness { $0.endedContactsKept = 2 }
        let a = try h.arrive()  // nobody on duty: ends at once
        try h.arrive()
        #expect(h.center.contact(a) != nil)
        try h.arrive()
        #expect(h.center.contact(a) == nil)
        #expect(throws: ChatError.unknownContact) { try h.center.customerLeaves(a) }
    }
}
