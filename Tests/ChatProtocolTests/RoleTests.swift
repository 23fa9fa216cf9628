import Testing
import ChatProtocol

struct RoleTests {
    @Test func eachRoleHasItsEndpoint() {
        #expect(Role.customer.path == "/v1/ws/customer")
        #expect(Role.agent.path == "/v1/ws/agent")
        #expect(Role.supervisor.path == "/v1/ws/supervisor")
        for role in Role.allCases { #expect(Role(path: role.path) == role) }
    }

    @Test func otherPathsNameNoRole() {
        #expect(Role(path: "/v1/ws/customer/") == nil)
        #expect(Role(path: "/v1/ws/admin") == nil)
        #expect(Role(path: "") == nil)
    }

    @Test func theSubprotocolIsSwitchboardV1() {
        #expect(WireProtocol.subprotocol == "switchboard.v1")
    }
}
