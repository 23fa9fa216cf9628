import ChatProtocol
import WebSocket

/// One load-test agent connection, signed in for the whole session; shared by the
/// relay and contact-center scenarios. Owned by the load generator's loop thread.
final class LoadAgent {
    let index: Int
    let login: String
    var connection: ClientConnection?
    var ready = false
    var closed = false
    /// When a sign-in the broker's sign-in line refused as busy is tried again.
    var retryAt: UInt64?
    var signInRetries = 0

    init(index: Int, login: String) {
        self.index = index
        self.login = login
    }
}

/// The chat protocol (switchboard.v1) on a load-test client: messages are encoded into
/// the scenario's reused scratch array, so sending allocates nothing per message.
extension ClientConnection {
    func send(_ message: CustomerMessage, scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        message.encode(into: &scratch)
        scratch.withUnsafeBytes { send(.text, $0) }
    }

    func send(_ message: AgentMessage, scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        message.encode(into: &scratch)
        scratch.withUnsafeBytes { send(.text, $0) }
    }

    /// The first message of a session, sent at once: an agent's sign-in with the
    /// shared secret, or a customer's hello (in Korean, as the scenarios play).
    func sendHello(agent: LoadAgent?, secret: String, scratch: inout [UInt8]) {
        if let agent {
            send(AgentMessage.hello(StaffHello(credentials: .secret(login: agent.login, secret: secret))), scratch: &scratch)
        } else {
            send(CustomerMessage.hello(CustomerHello(language: .ko)), scratch: &scratch)
        }
        flush()
    }
}

/// A scenario's participant that holds one client connection.
protocol LoadClient: AnyObject {
    var connection: ClientConnection? { get }
    var closed: Bool { get }
}

extension LoadAgent: LoadClient {}

/// The connections still open, customers first: what a scenario's polite end closes.
func openConnections(_ customers: [some LoadClient], _ agents: [LoadAgent]) -> [ClientConnection] {
    var open: [ClientConnection] = []
    for customer in customers where !customer.closed { if let connection = customer.connection { open.append(connection) } }
    for agent in agents where !agent.closed { if let connection = agent.connection { open.append(connection) } }
    return open
}
