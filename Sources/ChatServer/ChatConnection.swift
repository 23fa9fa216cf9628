import ChatProtocol

/// What the I/O loop keeps per chat WebSocket (in `ServerConnection.userData`): its
/// role, its number, its message rate, and where it is in signing in. Owned by the
/// connection's loop.
final class ChatConnection {
    enum Phase {
        /// Upgraded; nothing sent yet. `hello` must come first, within 10 seconds.
        case awaitingHello(deadline: UInt64)
        /// A staff `hello` is with the sign-in thread; what arrives meanwhile waits
        /// here (bounded) so that it reaches the domain thread after the verdict.
        case signingIn(held: [Inbound])
        /// Messages go straight to the domain thread.
        case forwarding
        /// A fatal error was sent; the rest is dropped until the close completes.
        case finished
    }

    /// Messages held during sign-in; past it the client is not waiting for `welcome`.
    static let maxHeld = 64

    let role: Role
    var number: UInt64 = 0
    var phase: Phase
    var rate: MessageRate
    /// Set while a staff `hello` waits in the sign-in line; abandoned when the connection closes.
    var signInTicket: SignInTicket?

    init(role: Role, rate: MessageRate, now: UInt64, helloTimeout: UInt64) {
        self.role = role
        self.rate = rate
        self.phase = .awaitingHello(deadline: now &+ helloTimeout)
    }
}
