import Testing
import ChatProtocol

struct SupervisorMessageTests {
    @Test func supervisorsAskForSnapshotsAndHistories() throws {
        #expect(try SupervisorMessage.decode(#"{"type":"get_snapshot","id":"g"}"#) == .getSnapshot(BareRequest(id: "g")))
        #expect(try SupervisorMessage.decode(#"{"type":"fetch_history","conversation":"c-9"}"#)
                == .fetchHistory(FetchHistory(conversation: "c-9")))
    }

    @Test func supervisorsDoNotChat() {
        for json in [#"{"type":"send","id":"m","conversation":"c","text":"x"}"#, #"{"type":"typing","conversation":"c","active":true}"#,
                     #"{"type":"set_status","status":"away"}"#] {
            #expect(refusal(json) == .forbidden)
        }
    }

    func refusal(_ json: String) -> ErrorCode? {
        do {
            _ = try SupervisorMessage.decode(json)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func theRoleDispatcherPicksTheSupervisorDecoder() throws {
        let m = try ClientMessage.decode(Array(#"{"type":"get_snapshot"}"#.utf8), from: .supervisor)
        #expect(m == .supervisor(.getSnapshot(BareRequest())))
        #expect(m.role == .supervisor)
        #expect(m.id == nil)
        #expect(m.type == "get_snapshot")
    }
}
