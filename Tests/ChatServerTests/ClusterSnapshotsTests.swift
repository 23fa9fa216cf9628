import ChatCore
import Testing
@testable import ChatServer

/// A snapshot's body: JSON, deflated, read back; damage refused.
struct ClusterSnapshotsTests {
    @Test func aSnapshotIsDeflatedAndReadsBackTheSame() throws {
        let center = try ContactCenter(configuration: CenterConfiguration(), clock: ManualClock())
        let kim = try center.addAgent(AgentProfile(handle: "kim", displayName: "김", skills: [QueueID(0)]))
        _ = try center.setStatus(kim, .away)
        for n in 0..<200 {
            _ = try center.customerArrives(ContactRequest(queue: QueueID(0), preChat: PreChat(customerName: "고객\(n)", firstMessage: "배송 문의")))
        }
        let snapshot = ClusterSnapshot(number: 201, id: "5-0", centre: center.snapshot(), requests: ["east@a 1"],
                                       statistics: nil, parties: ["a 0 east@a"])
        let body = try ClusterSnapshots.encode(snapshot)
        #expect(body.first == UInt8(ascii: "Z"))
        let json = try jsonLength(snapshot)
        #expect(body.count * 5 < json, "deflated: \(body.count) bytes of \(json)")
        let back = try ClusterSnapshots.decode(body)
        #expect(back.number == 201 && back.id == "5-0" && back.requests == ["east@a 1"] && back.parties == ["a 0 east@a"])
        let restored = try CenterReplica(configuration: CenterConfiguration())
        try restored.restore(back.centre, applied: 201)
        #expect(restored.engine.canonicalState() == center.canonicalState())

        #expect(throws: (any Error).self) { _ = try ClusterSnapshots.decode(Array(body.prefix(40))) }
        #expect(throws: (any Error).self) { _ = try ClusterSnapshots.decode(Array(body.prefix(5))) }
        var lying = body
        lying[8] &+= 1  // the JSON's length, one more than it is
        #expect(throws: (any Error).self) { _ = try ClusterSnapshots.decode(lying) }
        var huge = body
        huge[1] = 0xFF
        #expect(throws: (any Error).self) { _ = try ClusterSnapshots.decode(huge) }
    }

    /// The JSON's length as `encode` writes it in the header.
    private func jsonLength(_ snapshot: ClusterSnapshot) throws -> Int {
        let body = try ClusterSnapshots.encode(snapshot)
        return Int(body[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }
}
