import ChatCore
import Testing
@testable import ChatServer

/// Who is connected through which node process, as the command log says.
struct ConnectedPartiesTests {
    @Test func theLogDecidesWhoHoldsWhomAndASnapshotKeepsIt() throws {
        let center = try ContactCenter(configuration: CenterConfiguration(), clock: ManualClock())
        let kim = try center.addAgent(AgentProfile(handle: "kim", displayName: "김", skills: [QueueID(0)]))
        var parties = ConnectedParties()
        func run(_ command: CenterCommand, from instance: String) {
            parties.record(command, from: instance, outcome: center.apply(command), center: center)
        }
        run(.setStatus(kim, .away), from: "east@1")
        run(.customerArrives(ContactRequest(queue: QueueID(0))), from: "west@1")
        run(.customerArrives(ContactRequest(queue: QueueID(0))), from: "west@1")
        run(.customerArrives(ContactRequest(queue: QueueID(0))), from: "west@1")
        let waiting = center.waitingContacts(in: LineID(queue: QueueID(0), channel: .chat))
        run(.customerReconnected(waiting[0]), from: "north@2")  // a claim: it was connected
        run(.customerDisconnected(waiting[1]), from: "west@1")
        run(.customerLeaves(waiting[2]), from: "west@1")
        #expect(parties.customers == [waiting[0]: "north@2"])
        #expect(parties.agents == [kim: "east@1"])
        #expect(parties.instances == ["north@2", "east@1"])
        #expect(parties.customer(waiting[0], isElsewhereThan: "east@1") && !parties.customer(waiting[0], isElsewhereThan: "north@2"))
        #expect(!parties.customer(waiting[1], isElsewhereThan: "east@1"), "disconnected: nowhere")

        #expect(ConnectedParties(lines: parties.lines) == parties)
        #expect(ConnectedParties(lines: ["x 1 a@b", "c notanumber a@b", "c 7"]) == ConnectedParties())

        let lost = parties.takeLost("north@2", center: center)
        #expect(lost.customers == [waiting[0]] && lost.agents.isEmpty)
        #expect(parties.instances == ["east@1"])
        // A contact served and ended while its customer stays connected holds nobody.
        run(.customerArrives(ContactRequest(queue: QueueID(0))), from: "west@1")
        run(.setStatus(kim, .available), from: "east@1")
        #expect(parties.customers.count == 1)
        let fresh = try #require(parties.customers.keys.first)
        let served = try #require(center.agent(kim)?.conversations.first { center.conversation($0)?.contact == fresh })
        run(.endConversation(served, by: kim), from: "east@1")
        #expect(parties.customers.isEmpty, "finished: forgotten")
        run(.setStatus(kim, .offline), from: "east@1")
        #expect(parties.instances.isEmpty, "off duty: held by nobody")
    }
}
