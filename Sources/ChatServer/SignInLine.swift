import ChatProtocol
import EventLoop
import Posix
import Synchronization

/// A staff sign-in's "is anyone still waiting" flag: the I/O loop sets it when the
/// WebSocket closes; the sign-in thread reads it before hashing. Shared; atomic.
final class SignInTicket: Sendable {
    private let abandoned = Atomic<Bool>(false)

    func abandon() { abandoned.store(true, ordering: .relaxed) }
    var isAbandoned: Bool { abandoned.load(ordering: .relaxed) }
}

/// One staff sign-in on its way to the sign-in thread: the credentials, and what to
/// do with the verdict (post it to the domain thread, or answer an HTTP request).
struct SignInRequest: SignInWork, Sendable {
    enum Check: Sendable {
        /// A WebSocket `hello` on `role`'s endpoint.
        case hello(StaffHello.Credentials, Role)
        /// HTTP Basic on the transcript read-back: an agent or a supervisor.
        case basic(login: String, secret: String)
    }

    enum Verdict: Sendable {
        /// Checked: who it is, or nil for a wrong login or secret.
        case checked(StaffIdentity?)
        /// Not checked: the address must wait (`SignInThrottle`).
        case throttled(waitMs: Int64)
        /// Not checked: the line is full, or the sign-in waited past its deadline.
        case busy(retryAfterMs: Int64)
    }

    let check: Check
    let ticket: SignInTicket?
    let answer: @Sendable (Verdict) -> Void

    var isAbandoned: Bool { ticket?.isAbandoned ?? false }

    /// The account the sign-in names (for the returning lane), if any.
    var account: String? {
        switch check {
        case .hello(.secret(let login, _), _), .basic(let login, _): login
        case .hello: nil
        }
    }
}

/// The broker's sign-in line: the `SignInQueue` behind a mutex, so an I/O loop learns
/// at once whether a sign-in was queued (and answers a refusal itself), and the
/// sign-in thread, which hashes one queued sign-in per task so that other tasks on
/// its loop (the `.closed` hand-overs) are not held up behind a long line.
///
/// Shared by the I/O loops and the sign-in thread; Sendable through the mutex.
final class SignInLine: Sendable {
    private struct State: ~Copyable {
        var queue: SignInQueue<SignInRequest>
        /// A `drainOne` task is on the sign-in loop.
        var scheduled = false
    }

    private let state: Mutex<State>
    private let loop: EventLoop
    private let directory: StaffDirectory
    /// How long a sign-in may wait for its hash (the request timeout).
    let maxWait: UInt64

    init(loop: EventLoop, directory: StaffDirectory, capacity: Int, failuresPerMinute: Int, maxWait: UInt64) {
        self.loop = loop
        self.directory = directory
        self.maxWait = maxWait
        state = Mutex(State(queue: SignInQueue(capacity: capacity, throttle: SignInThrottle(limit: failuresPerMinute))))
    }

    /// Queues `request` from `address`; a refusal is returned, not answered, so the
    /// caller answers it at once in its own way.
    func submit(_ request: SignInRequest, from address: String, now: UInt64 = monotonicNanoseconds()) -> SignInQueue<SignInRequest>.Admission {
        let (admission, wake) = state.withLock { state in
            let admission = state.queue.admit(request, from: address, account: request.account, now: now, deadline: now &+ maxWait)
            guard case .queued = admission, !state.scheduled else { return (admission, false) }
            state.scheduled = true
            return (admission, true)
        }
        if wake { loop.execute { [self] in drainOne() } }
        return admission
    }

    /// On the sign-in thread: answers what needs no hash, hashes one sign-in, and
    /// comes back for the next in a task of its own.
    private func drainOne() {
        var unhashed: [(SignInRequest, SignInRequest.Verdict)] = []
        let turn: (SignInRequest, String, String?)? = state.withLock { state in
            while let turn = state.queue.next(now: monotonicNanoseconds()) {
                switch turn {
                case .hash(let request, let address, let account): return (request, address, account)
                case .expired(let request): unhashed.append((request, .busy(retryAfterMs: SignInQueue<SignInRequest>.busyRetryMs)))
                case .throttled(let request, let wait): unhashed.append((request, .throttled(waitMs: wait)))
                }
            }
            return nil
        }
        for (request, verdict) in unhashed { request.answer(verdict) }
        if let (request, address, account) = turn {
            let started = monotonicNanoseconds()
            let identity: StaffIdentity?
            switch request.check {
            case .hello(let credentials, let role): identity = directory.verify(credentials, role: role)
            case .basic(let login, let secret): identity = directory.verifyStaff(login: login, secret: secret)
            }
            // Counted before the answer goes out, so a retry it prompts already sees the count.
            let now = monotonicNanoseconds()
            state.withLock { $0.queue.finished(address: address, account: account, succeeded: identity != nil, took: now &- started, now: now) }
            request.answer(.checked(identity))
        }
        let more = state.withLock { state in
            state.scheduled = !state.queue.isEmpty
            return state.scheduled
        }
        if more { loop.execute { [self] in drainOne() } }
    }
}

extension SignInLine {
    /// What a busy sign-in is told (the `error` message, the HTTP 503 body).
    static func busy(retryAfterMs: Int64) -> String {
        "Too many sign-ins are waiting to be checked: try again in \(SignInThrottle.seconds(retryAfterMs)) s."
    }
}
