import Testing
@testable import ChatServer

struct DemoStaffTests {
    @Test func secretsAreRandomAndEasyToType() {
        let a = DemoStaff.randomSecret()
        let b = DemoStaff.randomSecret()
        #expect(a != b)
        #expect(a.count == 19 && a.split(separator: "-").count == 4)
        #expect(a.allSatisfy { "abcdefghjkmnpqrstuvwxyz23456789-".contains($0) })
    }

    @Test func theFileIsAConfigurationWhoseHashesCheckTheSecrets() throws {
        let accounts = [DemoStaff.Account(login: "minji.park", name: "박민지", role: "agent", secret: "aaaa-bbbb-cccc-dddd"),
                        DemoStaff.Account(login: "lead.choi", name: "최팀장", role: "supervisor", secret: "eeee-ffff-gggg-hhhh")]
        let text = DemoStaff.fileText(accounts, iterations: 1_000)
        #expect(!text.contains("aaaa-bbbb"))  // never the secret itself
        let configuration = try ConfigurationFile.parse(text)
        #expect(configuration.agents.map(\.handle) == ["minji.park"])
        #expect(configuration.agents.first?.skills == ["orders", "returns", "products", "other"])
        #expect(configuration.supervisors.map(\.login) == ["lead.choi"])
        let hash = try SecretHash(parsing: configuration.agents[0].secret)
        #expect(hash.verify("aaaa-bbbb-cccc-dddd"))
        #expect(!hash.verify("eeee-ffff-gggg-hhhh"))
    }
}
