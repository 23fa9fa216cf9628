import ChatCore
import ChatProtocol
import Testing
@testable import ChatServer

/// A `Delivery` that keeps what the desk says, per connection and in order, each
/// message decoded strictly (so every test also checks the encoding). One thread.
final class RecordedDelivery: Delivery {
    enum Said {
        case message(ServerMessage, bytes: [UInt8])
        case close(ApplicationCloseCode)
        case release
    }

    private(set) var said: [ConnectionID: [Said]] = [:]

    func send(_ bytes: [UInt8], to connection: ConnectionID) {
        do {
            said[connection, default: []].append(.message(try ServerMessage.decode(bytes), bytes: bytes))
        } catch {
            Issue.record("the desk sent bytes that do not decode: \(error): \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    func close(_ connection: ConnectionID, _ code: ApplicationCloseCode) {
        said[connection, default: []].append(.close(code))
    }

    func release(_ connection: ConnectionID) {
        said[connection, default: []].append(.release)
    }

    /// Everything said to `connection` since the last `take`, and forgets it.
    func take(_ connection: ConnectionID) -> [Said] {
        defer { said[connection] = nil }
        return said[connection] ?? []
    }
}

/// A `ServiceDesk` with a manual clock, transcripts in memory and a recorded delivery:
/// the desk as the domain thread drives it, without sockets or threads. One agent,
/// "kim" (김상담), serves `orders`; routing is direct. One test's value.
final class DeskRig {
    let clock = ManualClock(now: Instant(milliseconds: 5_000_000), wall: WallTime(millisecondsSince1970: 1_767_225_600_000))
    let delivery = RecordedDelivery()
    /// The desk's store, read by tests (a `MemoryTranscripts` unless one is given).
    let transcripts: any TranscriptStore
    let desk: ServiceDesk
    private var nextNumber: UInt64 = 1

    init(transcripts: any TranscriptStore = MemoryTranscripts(),
         _ configure: (inout BrokerConfiguration) -> Void = { _ in }) throws {
        self.transcripts = transcripts
        var configuration = BrokerConfiguration()
        configuration.agents = [
            AgentAccount(handle: "kim", name: "김상담", skills: ["orders"], secret: "unused"),
            AgentAccount(handle: "lee", name: "이상담", skills: ["returns"], secret: "unused"),
        ]
        configure(&configuration)
        desk = try ServiceDesk(configuration: configuration, clock: clock, delivery: delivery, metrics: BrokerMetrics(),
                               transcripts: transcripts)
    }

    /// A new WebSocket, as an I/O loop would name it.
    func connect(loop: Int = 0) -> ConnectionID {
        defer { nextNumber += 1 }
        return ConnectionID(loop: loop, number: nextNumber)
    }

    func customer(_ connection: ConnectionID, _ json: String) {
        receive(connection, json, from: .customer)
    }

    func agent(_ connection: ConnectionID, _ json: String) {
        receive(connection, json, from: .agent)
    }

    private func receive(_ connection: ConnectionID, _ json: String, from role: Role) {
        do {
            desk.receive([.message(connection, try ClientMessage.decode(Array(json.utf8), from: role))])
        } catch {
            Issue.record("the test's message does not decode: \(error)")
        }
    }

    func close(_ connection: ConnectionID) { desk.receive([.closed(connection)]) }

    /// Lets time pass on the desk's clock, then runs one tick of the domain thread.
    func advance(_ duration: Duration) {
        clock.advance(by: duration)
        desk.tick()
    }

    /// Messages said to `connection` since the last look (closes and releases left out).
    func messages(_ connection: ConnectionID) -> [ServerMessage] {
        delivery.take(connection).compactMap { if case .message(let m, _) = $0 { m } else { nil } }
    }

    /// An agent signed in (as the sign-in thread vouches) and available.
    func signInAgent(_ handle: String = "kim") -> ConnectionID {
        let connection = connect(loop: 1)
        desk.receive([.staffHello(connection, .agent, requestID: "h", .agent(handle: handle))])
        agent(connection, #"{"type":"set_status","id":"st","status":"available"}"#)
        _ = delivery.take(connection)
        return connection
    }

    /// A customer with a new session; returns its connection and token.
    func helloCustomer() -> (ConnectionID, token: String) {
        let connection = connect()
        customer(connection, #"{"type":"hello","id":"h"}"#)
        guard case .welcome(let w)? = messages(connection).first, let token = w.session else {
            Issue.record("no welcome with a session")
            return (connection, "")
        }
        return (connection, token)
    }

    /// A customer in a conversation with kim: the conversation's wire id, both
    /// connections and the session token; everything said so far is taken.
    func conversation(firstMessage: String? = nil) -> Chat {
        let agent = signInAgent()
        let (customer, token) = helloCustomer()
        let first = firstMessage.map { #","first_message":"\#($0)""# } ?? ""
        self.customer(customer, #"{"type":"start_chat","id":"s","queue":"orders"\#(first)}"#)
        let agentSaw = messages(agent)
        _ = messages(customer)
        guard let assigned = agentSaw.lazy.compactMap({ if case .assigned(let a) = $0 { a } else { nil } }).first else {
            Issue.record("the agent was not assigned the conversation: \(agentSaw)")
            return Chat(customer: customer, agent: agent, token: token, wire: "")
        }
        return Chat(customer: customer, agent: agent, token: token, wire: assigned.conversation)
    }

    /// The conversation that `wire` names, as the desk's engine knows it.
    func conversationID(_ wire: String) -> ConversationID? {
        WireID.conversation(wire).flatMap { desk.live($0) }
    }
}

/// A conversation between a customer and an agent set up by `DeskRig.conversation`.
struct Chat {
    let customer: ConnectionID
    let agent: ConnectionID
    let token: String
    let wire: String
}

extension ServerMessage {
    var ackValue: Ack? { if case .ack(let a) = self { a } else { nil } }
    var errorReport: ErrorReport? { if case .error(let e) = self { e } else { nil } }
    var eventValue: ConversationEvent? { if case .event(let e) = self { e } else { nil } }
    var chatMessage: ChatMessage? { if case .event(.message(let m)) = self { m } else { nil } }
    var receiptValue: Receipt? { if case .receipt(let r) = self { r } else { nil } }
    var historyValue: History? { if case .history(let h) = self { h } else { nil } }
    var welcomeValue: Welcome? { if case .welcome(let w) = self { w } else { nil } }
}
