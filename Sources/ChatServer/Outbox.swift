import EventLoop
import ChatProtocol

/// The broker's `Delivery`, the domain thread's way out: encoded messages for
/// connections on any I/O loop, gathered per loop during one iteration of the domain
/// loop and handed over with one `execute` per loop when the iteration ends (`flush`,
/// via `scheduleFlush`).
///
/// Owned by the domain thread. The loops' entries (`register`) arrive as tasks from
/// each I/O loop when its `ChatEndpoints` starts, before any of its connections.
///
/// Durability: before handing batches over, `flush` commits the transcripts; if what
/// was recorded is not yet as durable as the fsync policy requires, the batches are
/// held, in order, until the store reports the position they wait for (`release`).
/// So an `ack` of a message, and its relay, never go out before the message is on
/// disk under `always` (protocol/storage.md).
final class Outbox: Delivery, Flushable {
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
    private weak var transcripts: (any TranscriptStore)?
    /// Batches waiting for the disk, oldest first, with the log position each waits for.
    private var held = FIFO<(position: UInt64, loop: Int, batch: [Outbound])>()
    private var lastHeldPosition: UInt64 = 0

    init(domain: EventLoop, transcripts: (any TranscriptStore)? = nil) {
        self.domain = domain
        self.transcripts = transcripts
    }

    func register(_ port: Port) {
        let index = port.loop.id
        while ports.count <= index {
            ports.append(nil)
            pending.append([])
        }
        ports[index] = port
    }

    /// Forgets every loop (at shutdown, once the domain thread has ended): a port holds
    /// its endpoints, which hold the desk that holds this outbox.
    func unregisterAll() {
        ports.removeAll()
        pending.removeAll()
        held = FIFO()
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
        if let wait = transcripts?.commit() { lastHeldPosition = max(lastHeldPosition, wait) }
        let hold = held.count > 0 || lastHeldPosition > releasedPosition
        for index in pending.indices where !pending[index].isEmpty {
            guard let port = ports[index] else { continue }
            let batch = pending[index]
            pending[index].removeAll(keepingCapacity: true)
            if hold {
                held.append((lastHeldPosition, index, batch))
            } else {
                port.loop.execute { port.endpoints.value.deliver(batch) }
            }
        }
    }

    private var releasedPosition: UInt64 = 0

    /// The transcripts are durable up to `position`: what waited for it goes out, in order.
    func release(upTo position: UInt64) {
        releasedPosition = max(releasedPosition, position)
        var batches: [Int: [Outbound]] = [:]
        while let first = held.first, first.position <= releasedPosition {
            _ = held.removeFirst()
            batches[first.loop, default: []].append(contentsOf: first.batch)
        }
        for (index, batch) in batches {
            guard let port = ports[index] else { continue }
            port.loop.execute { port.endpoints.value.deliver(batch) }
        }
    }
}
