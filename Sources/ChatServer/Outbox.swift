import EventLoop
import ChatProtocol

/// The domain thread's way out: encoded messages for connections on any I/O loop,
/// gathered per loop during one iteration of the domain loop and handed over with
/// one `execute` per loop when the iteration ends (`flush`, via `scheduleFlush`).
///
/// Owned by the domain thread. The loops' entries (`register`) arrive as tasks from
/// each I/O loop when its `ChatEndpoints` starts, before any of its connections.
final class Outbox: Flushable {
    /// An I/O loop and its application, reachable from the domain thread only
    /// through `execute` on that loop.
    struct Port: Sendable {
        let loop: EventLoop
        let endpoints: LoopBound<ChatEndpoints>
    }

    private unowned let domain: EventLoop
    private var ports: [Port?] = []
    private var pending: [[Outbound]] = []
    private var scheduled = false

    init(domain: EventLoop) {
        self.domain = domain
    }

    func register(_ port: Port) {
        let index = port.loop.id
        while ports.count <= index {
            ports.append(nil)
            pending.append([])
        }
        ports[index] = port
    }

    func send(_ bytes: [UInt8], to connection: ConnectionID) {
        enqueue(.send(connection.number, bytes), on: connection.loop)
    }

    func close(_ connection: ConnectionID, _ code: ApplicationCloseCode) {
        enqueue(.close(connection.number, code), on: connection.loop)
    }

    func release(_ connection: ConnectionID) {
        enqueue(.release(connection.number), on: connection.loop)
    }

    private func enqueue(_ item: Outbound, on loop: Int) {
        guard loop < pending.count else { return }
        pending[loop].append(item)
        if !scheduled {
            scheduled = true
            domain.scheduleFlush(self)
        }
    }

    /// Hands each loop its batch (called by the domain loop at the end of an iteration).
    func flush() {
        scheduled = false
        for index in pending.indices where !pending[index].isEmpty {
            guard let port = ports[index] else { continue }
            let batch = pending[index]
            pending[index].removeAll(keepingCapacity: true)
            port.loop.execute { port.endpoints.value.deliver(batch) }
        }
    }
}
