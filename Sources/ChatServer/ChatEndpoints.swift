import ChatProtocol
import EventLoop
import HTTP
import Posix
import WebSocket
import WebSocketServer

/// The broker on one I/O loop: routes HTTP requests (the three chat endpoints, the
/// operator's `/healthz`, `/metrics`, `/v1/stats`, the transcript read-back answered
/// later through `Route.deferred`: TranscriptRequests.swift), and for each chat WebSocket
/// decodes messages (strictly, `ChatProtocol`), applies the message rate, and hands
/// them to the domain thread; what comes back (`deliver`) it writes out.
///
/// One instance per I/O loop, touched only on that loop's thread (see
/// `WebSocketApplication`). Messages for the domain thread are gathered during one
/// loop iteration and handed over with a single `execute` when it ends (`flush`).
public final class ChatEndpoints: WebSocketApplication, Flushable {
    let loop: EventLoop
    let shared: BrokerShared
    private var connections: [UInt64: ServerConnection<ChatEndpoints>] = [:]
    private var nextNumber: UInt64 = 1
    private var inbox: [Inbound] = []
    private var flushScheduled = false
    /// HTTP requests answered later (`Route.deferred`), by number.
    var awaitingAnswers: [UInt64: WeakConnection] = [:]
    var nextAnswer: UInt64 = 1
    private let policy: Handshake.Policy
    private lazy var helloTimer = HelloTimer(endpoints: self)

    init(loop: EventLoop, shared: BrokerShared) {
        self.loop = loop
        self.shared = shared
        policy = Handshake.Policy(allowedOrigins: Set(shared.allowedOrigins), subprotocols: [WireProtocol.subprotocol],
                                  requireSubprotocol: true)
        loop.addTicker(helloTimer)
        let port = Outbox.Port(loop: loop, endpoints: LoopBound(self))
        let outbox = shared.outbox
        shared.domain.execute { outbox.value.register(port) }
    }

    // MARK: HTTP

    public func route(_ request: HTTPRequest, connection: ServerConnection<ChatEndpoints>) -> Route {
        if let role = ChatProtocol.Role(path: request.path) {
            connection.userData = ChatConnection(
                role: role, rate: MessageRate(perSecond: shared.limits.maxMessagesPerSecond, burst: shared.limits.messageBurst, now: loop.now),
                now: loop.now, helloTimeout: UInt64(WireProtocol.helloTimeout.components.seconds) * 1_000_000_000)
            return .upgrade(policy)
        }
        if let route = routeTranscript(request, connection: connection) { return route }
        if let page = shared.webPages.respond(to: request) { return .respond(page) }
        return OperatorPages.respond(to: request, metrics: shared.metrics, transcripts: shared.transcripts, cluster: shared.cluster)
    }

    public func opened(_ connection: ServerConnection<ChatEndpoints>) {
        guard let chat = connection.userData as? ChatConnection else {
            connection.close(code: .internalError)
            return
        }
        chat.number = nextNumber
        nextNumber += 1
        connections[chat.number] = connection
        shared.metrics.opened(chat.role, by: 1)
    }

    public func closed(_ connection: ServerConnection<ChatEndpoints>, code: CloseCode?) {
        guard let chat = connection.userData as? ChatConnection, connections.removeValue(forKey: chat.number) != nil else { return }
        shared.metrics.opened(chat.role, by: -1)
        let id = ConnectionID(loop: loop.id, number: chat.number)
        switch chat.phase {
        case .awaitingHello:
            return  // the domain thread never heard of it
        case .signingIn:
            // Not hashed if it is still waiting; and if it is being hashed, the
            // `.closed` goes behind the verdict, so the domain never binds a dead connection.
            chat.signInTicket?.abandon()
            let domain = shared.domain, desk = shared.desk
            shared.signIn.execute { domain.execute { desk.value.receive([.closed(id)]) } }
        case .forwarding, .finished:
            post(.closed(id))
        }
        chat.phase = .finished
    }

    // MARK: Messages

    public func received(_ connection: ServerConnection<ChatEndpoints>, opcode: Opcode, payload: UnsafeRawBufferPointer) {
        guard let chat = connection.userData as? ChatConnection else { return }
        if case .finished = chat.phase { return }
        shared.metrics.messagesReceived.add(1, ordering: .relaxed)
        guard opcode == .text else {
            connection.close(code: .unsupportedData, reason: "switchboard.v1 is JSON text only")
            return
        }
        let id = ConnectionID(loop: loop.id, number: chat.number)
        let message: ClientMessage
        do {
            // A text message reaches us only after the WebSocket layer validated its
            // UTF-8 (RFC 6455 §8.1, 1007 otherwise): the decoder does not check it again.
            message = try ClientMessage.decode(payload, from: chat.role, utf8: .validated)
        } catch {
            // Refused as it is, even before `hello`: a malformed message is not
            // "another message first", and the client learns what to fix.
            if admit(chat, id, requestID: error.requestID) {
                pass(.refused(id, ErrorReport(error), close: nil), chat)
            }
            return
        }
        guard admit(chat, id, requestID: message.id) else { return }
        switch chat.phase {
        case .awaitingHello:
            if shared.limits.maxMessagesPerSecondPerAddress > 0 {
                post(.arrived(id, address: connection.peer.host))
            }
            switch message {
            case .customer(.hello):
                chat.phase = .forwarding
                post(.message(id, message))
            case .agent(.hello(let hello)), .supervisor(.hello(let hello)):
                signIn(hello, role: chat.role, id, chat)
            default:
                refuseBeforeHello(chat, id, requestID: message.id)
            }
        case .signingIn, .forwarding:
            pass(.message(id, message), chat)
        case .finished:
            break
        }
    }

    /// The connection's message rate: false (and an error on its way) when over the limit.
    private func admit(_ chat: ChatConnection, _ id: ConnectionID, requestID: String?) -> Bool {
        guard let (report, fatal) = chat.rate.admit(now: loop.now).report(id: requestID) else { return true }
        pass(.refused(id, report, close: fatal ? .rateLimited : nil), chat)
        if fatal { finish(chat) }
        return false
    }

    private func refuseBeforeHello(_ chat: ChatConnection, _ id: ConnectionID, requestID: String?) {
        let report = ErrorReport(id: requestID, code: .notAuthenticated, message: "The first message must be hello.", fatal: true)
        chat.phase = .forwarding
        pass(.refused(id, report, close: .notAuthenticated), chat)
        finish(chat)
    }

    private func finish(_ chat: ChatConnection) {
        if case .signingIn = chat.phase { return }  // the held messages end with the fatal error
        chat.phase = .finished
    }

    /// To the domain thread now, or after the sign-in verdict.
    private func pass(_ item: Inbound, _ chat: ChatConnection) {
        switch chat.phase {
        case .signingIn(var held):
            if held.count >= ChatConnection.maxHeld {
                held.removeAll()
                chat.phase = .finished
                connections[chat.number]?.close(code: .policyViolation, reason: "too many messages before welcome")
                return
            }
            held.append(item)
            chat.phase = .signingIn(held: held)
        default:
            post(item)
        }
    }

    /// Hands the `hello` to the sign-in line. A refusal (the address must wait, or
    /// the line is full) is answered here at once; a queued one is answered by the
    /// sign-in thread through the domain thread, or dropped unhashed if the
    /// connection closes first (`closed` abandons its ticket).
    private func signIn(_ hello: StaffHello, role: ChatProtocol.Role, _ id: ConnectionID, _ chat: ChatConnection) {
        let domain = shared.domain, desk = shared.desk
        let requestID = hello.id
        let ticket = SignInTicket()
        let request = SignInRequest(check: .hello(hello.credentials, role), ticket: ticket) { verdict in
            let inbound = ChatEndpoints.inbound(verdict, id, role, requestID: requestID)
            domain.execute { desk.value.receive([inbound]) }
        }
        let address = connections[id.number]?.peer.host ?? ""
        switch shared.signIns.submit(request, from: address) {
        case .queued:
            chat.phase = .signingIn(held: [])
            chat.signInTicket = ticket
        case .throttled(let wait):
            chat.phase = .forwarding
            pass(ChatEndpoints.inbound(.throttled(waitMs: wait), id, role, requestID: requestID), chat)
            finish(chat)
        case .busy(let retry):
            chat.phase = .forwarding
            pass(ChatEndpoints.inbound(.busy(retryAfterMs: retry), id, role, requestID: requestID), chat)
            finish(chat)
        }
    }

    /// A sign-in verdict as the domain thread takes it: refusals are fatal
    /// `rate_limited` with close 4008 (protocol/README.md, "Error codes").
    private static func inbound(_ verdict: SignInRequest.Verdict, _ id: ConnectionID, _ role: ChatProtocol.Role,
                                requestID: String?) -> Inbound {
        switch verdict {
        case .checked(let identity):
            return .staffHello(id, role, requestID: requestID, identity)
        case .throttled(let wait):
            return .refused(id, ErrorReport(id: requestID, code: .rateLimited, message: SignInThrottle.refusal(waitMs: wait),
                                            fatal: true, retryAfterMs: wait), close: .rateLimited)
        case .busy(let retry):
            return .refused(id, ErrorReport(id: requestID, code: .rateLimited, message: SignInLine.busy(retryAfterMs: retry),
                                            fatal: true, retryAfterMs: retry), close: .rateLimited)
        }
    }

    private func post(_ item: Inbound) {
        inbox.append(item)
        if !flushScheduled {
            flushScheduled = true
            loop.scheduleFlush(self)
        }
    }

    /// Hands this iteration's messages to the domain thread in one task.
    public func flush() {
        flushScheduled = false
        guard !inbox.isEmpty else { return }
        let batch = inbox
        inbox.removeAll(keepingCapacity: true)
        let desk = shared.desk
        shared.domain.execute { desk.value.receive(batch) }
    }

    // MARK: From the domain thread

    /// Writes what the domain thread sent (runs on this loop, via `execute`).
    func deliver(_ batch: [Outbound]) {
        for item in batch {
            switch item {
            case .send(let number, let bytes):
                guard let connection = connections[number] else { continue }
                _ = bytes.withUnsafeBytes { connection.send(.text, $0) }
            case .close(let number, let code):
                guard let connection = connections[number] else { continue }
                if let chat = connection.userData as? ChatConnection { chat.phase = .finished }
                connection.close(code: CloseCode(code.rawValue), reason: code.reason)
            case .release(let number):
                guard let connection = connections[number], let chat = connection.userData as? ChatConnection,
                      case .signingIn(let held) = chat.phase else { continue }
                chat.phase = .forwarding
                for item in held {
                    post(item)
                    if case .refused(_, _, close: _?) = item {
                        chat.phase = .finished  // nothing after a fatal error
                        break
                    }
                }
            }
        }
    }

    // MARK: Hello deadline

    fileprivate func closeSilentConnections(now: UInt64) {
        for connection in connections.values {
            guard let chat = connection.userData as? ChatConnection, case .awaitingHello(let deadline) = chat.phase,
                  now > deadline else { continue }
            chat.phase = .forwarding
            let report = ErrorReport(code: .notAuthenticated, message: "No hello within 10 seconds.", fatal: true)
            post(.refused(ConnectionID(loop: loop.id, number: chat.number), report, close: .notAuthenticated))
            chat.phase = .finished
        }
    }
}

/// Ticks the hello deadline of one loop's connections (a ticker: it owns no fd).
private final class HelloTimer: Selectable {
    unowned let endpoints: ChatEndpoints
    let fd: Int32 = -1

    init(endpoints: ChatEndpoints) { self.endpoints = endpoints }

    func handleEvent(_ flags: EpollFlags) {}

    func tick(now: UInt64) { endpoints.closeSilentConnections(now: now) }
}
