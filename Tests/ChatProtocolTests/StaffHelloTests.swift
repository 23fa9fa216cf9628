import Testing
import ChatProtocol

struct StaffHelloTests {
    func code(_ json: String) -> ErrorCode? {
        do {
            _ = try AgentMessage.decode(json)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func aLoginAndSecretOrATokenSignIn() throws {
        #expect(try AgentMessage.decode(#"{"type":"hello","login":"minji.park","secret":"s p a c e s"}"#)
                == .hello(StaffHello(credentials: .secret(login: "minji.park", secret: "s p a c e s"))))
        let token = "eyJhIjoxfQ.c2ln-_~+/="
        #expect(try SupervisorMessage.decode(#"{"type":"hello","token":"\#(token)"}"#)
                == .hello(StaffHello(credentials: .token(token))))
    }

    @Test func exactlyOneFormOfCredentials() {
        #expect(code(#"{"type":"hello"}"#) == .missingField)
        #expect(code(#"{"type":"hello","login":"a"}"#) == .missingField)
        #expect(code(#"{"type":"hello","secret":"a"}"#) == .missingField)
        #expect(code(#"{"type":"hello","token":"abcdefghijklmnop","secret":"a"}"#) == .invalidField)
        #expect(code(#"{"type":"hello","token":"short"}"#) == .invalidField)
        #expect(code(#"{"type":"hello","login":"a","secret":""}"#) == .invalidField)
    }

    @Test func credentialsNeverShowTheSecret() {
        let secret = StaffHello.Credentials.secret(login: "minji.park", secret: "hunter2")
        #expect("\(secret)" == "login minji.park")
        #expect("\(StaffHello.Credentials.token("abcdefghijklmnop"))" == "token")
    }
}
