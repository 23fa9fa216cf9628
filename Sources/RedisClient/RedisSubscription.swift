import EventLoop
import Posix
import Redis

/// Channels this process listens to on Redis (RESP2 Pub/Sub), on one event loop (its
/// thread only). A link of its own, since a subscribed connection can run nothing
/// else. It keeps the set of channels and subscribes to all of them again whenever the
/// link comes back, and pings once a second: a link that has heard nothing for the
/// reply timeout is dropped and opened again, so a silently dead link is noticed.
///
/// Pub/Sub delivers at most once and only while subscribed: whatever must not be lost
/// is also written somewhere durable (a stream) and read from there after a gap.
public final class RedisSubscription {
    public let link: RedisConnection
    public private(set) var channels: Set<String> = []
    /// A message on a subscribed channel; on the loop.
    public var messageReceived: ((_ channel: String, _ payload: [UInt8]) -> Void)?
    /// The link went down (false) or came back with every channel subscribed (true).
    public var availabilityChanged: ((Bool) -> Void)?
    private var lastPing: UInt64 = 0

    public init(loop: EventLoop, address: RedisAddress) {
        link = RedisConnection(loop: loop, address: address)
        link.pushHandler = { [unowned self] value in received(value) }
        link.stateChanged = { [unowned self] state in
            switch state {
            case .up:
                if !channels.isEmpty { link.write(RedisCommand("SUBSCRIBE", channels.sorted())) }
                availabilityChanged?(true)
            case .down:
                availabilityChanged?(false)
            case .connecting:
                break
            }
        }
    }

    public func start() {
        link.loop.addTicker(TickAction { [unowned self] now in tick(now: now) })
        link.start()
    }

    public func close() { link.close() }

    public func subscribe(_ channel: String) {
        guard channels.insert(channel).inserted else { return }
        link.write(RedisCommand("SUBSCRIBE", channel))
    }

    public func unsubscribe(_ channel: String) {
        guard channels.remove(channel) != nil else { return }
        link.write(RedisCommand("UNSUBSCRIBE", channel))
    }

    private func received(_ value: RESPValue) {
        guard case .array(let parts?) = value, let kind = parts.first?.text else { return }
        switch kind {
        case "message":
            guard parts.count == 3, let channel = parts[1].text, case .bulk(let payload?) = parts[2] else { return }
            messageReceived?(channel, payload)
        default:
            break  // subscribe/unsubscribe confirmations and pongs only show the link is alive
        }
    }

    private func tick(now: UInt64) {
        guard link.state == .up else { return }
        if now &- link.lastHeard > link.replyTimeout {
            link.reconnect(because: "no word from \(link.address) on the subscriber link within \(link.replyTimeout / 1_000_000) ms")
            return
        }
        if now &- lastPing >= 1_000_000_000 {
            lastPing = now
            link.write(RedisCommand("PING"))
        }
    }
}
