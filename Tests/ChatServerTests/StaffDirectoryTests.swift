import ChatProtocol
import Testing
@testable import ChatServer

/// Staff sign-in checks (StaffDirectory.swift): who the credentials prove, and that
/// how long a check takes tells nothing about the account.
struct StaffDirectoryTests {
    let cheap = SecretHash(hashing: "cheap secret", iterations: 1_000)
    let costly = SecretHash(hashing: "costly secret", iterations: 100_000)

    func directory() throws -> StaffDirectory {
        try StaffDirectory(agents: [AgentAccount(handle: "cheap.agent", name: "C", skills: [], secret: cheap.encoded),
                                    AgentAccount(handle: "costly.agent", name: "D", skills: [], secret: costly.encoded)],
                           supervisors: [SupervisorAccount(login: "lead.choi", name: "L", secret: cheap.encoded)])
    }

    @Test func rightCredentialsProveTheirAccountOnTheirEndpointOnly() throws {
        let d = try directory()
        #expect(d.verify(.secret(login: "cheap.agent", secret: "cheap secret"), role: .agent) == .agent(handle: "cheap.agent"))
        #expect(d.verify(.secret(login: "cheap.agent", secret: "cheap secret"), role: .supervisor) == nil)
        #expect(d.verify(.secret(login: "lead.choi", secret: "cheap secret"), role: .supervisor) == .supervisor(login: "lead.choi", name: "L"))
        #expect(d.verify(.secret(login: "costly.agent", secret: "cheap secret"), role: .agent) == nil)
        #expect(d.verify(.token("abcdefghijklmnopqrstu"), role: .agent) == nil)
        // HTTP Basic: any staff member, one check.
        #expect(d.verifyStaff(login: "costly.agent", secret: "costly secret") == .agent(handle: "costly.agent"))
        #expect(d.verifyStaff(login: "lead.choi", secret: "cheap secret") == .supervisor(login: "lead.choi", name: "L"))
        #expect(d.verifyStaff(login: "nobody", secret: "cheap secret") == nil)
        #expect(d.iterations == 100_000)
    }

    /// Issue 15, item 5: a wrong secret took 0.5 ms for an account hashed with 1,000
    /// iterations and 52 ms for one with 210,000, so timing told which accounts were
    /// cheap to guess. Every check now costs the slowest account's rounds: medians of
    /// interleaved samples, the cheap account's at least half the costly one's.
    @Test func aWrongSecretCostsAsMuchForEveryAccount() throws {
        let d = try directory()
        let clock = ContinuousClock()
        var times: [String: [Duration]] = [:]
        for _ in 0..<7 {
            for login in ["cheap.agent", "costly.agent", "nobody"] {
                let took = clock.measure { #expect(d.verify(.secret(login: login, secret: "wrong"), role: .agent) == nil) }
                times[login, default: []].append(took)
            }
        }
        let median = times.mapValues { $0.sorted()[$0.count / 2] }
        #expect(median["cheap.agent"]! * 2 >= median["costly.agent"]!, "\(median)")
        #expect(median["nobody"]! * 2 >= median["costly.agent"]!, "\(median)")
    }
}
