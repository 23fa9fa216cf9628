#if canImport(Glibc)
import Glibc
#endif
import Redis
import RedisClient
import RedisTestSupport
import Synchronization
import Testing

/// Pub/Sub against a real redis-server: messages on subscribed channels only, and the
/// channels subscribed again by themselves after Redis restarts.
@Suite(.serialized) struct RedisSubscriptionTests {
    final class Listener: @unchecked Sendable {
        let rig: LinkRig
        private(set) var subscription: RedisSubscription!
        let heard = Mutex<[String]>([])
        let available = Mutex<[Bool]>([])

        init(port: UInt16, channels: [String] = []) throws {
            rig = try LinkRig(address: RedisAddress(host: "127.0.0.1", port: port))
            rig.perform { [self] rig in
                subscription = RedisSubscription(loop: rig.loop, address: rig.connection.address)
                subscription.messageReceived = { [unowned self] channel, payload in
                    heard.withLock { $0.append(channel + " " + String(decoding: payload, as: UTF8.self)) }
                }
                subscription.availabilityChanged = { [unowned self] up in available.withLock { $0.append(up) } }
                subscription.start()
                // Subscribed before the link is up: sent once it is.
                channels.forEach(subscription.subscribe)
            }
        }

        func subscribe(_ channels: String...) { rig.perform { [self] _ in channels.forEach(subscription.subscribe) } }
        func unsubscribe(_ channel: String) { rig.perform { [self] _ in subscription.unsubscribe(channel) } }

        /// Publishes until `count` receivers took one (a subscription takes effect a round trip later).
        func publish(_ channel: String, _ text: String, receivers: Int64 = 1) -> Bool {
            LinkRig.wait(seconds: 10) {
                rig.send([RedisCommand("PUBLISH", channel, text)])
                return (try? rig.waitForReplies(1).first?.get().integer) == receivers
            }
        }

        func stop() {
            rig.perform { [self] _ in subscription.close() }
            rig.stop()
        }
    }

    @Test func messagesArriveOnSubscribedChannelsOnly() throws {
        let server = try RedisServer()
        let listener = try Listener(port: server.port)
        defer { listener.stop() }
        listener.subscribe("to:agent:minji", "to:contact:c-7")
        #expect(listener.publish("to:agent:minji", "안녕하세요"))
        #expect(listener.publish("to:contact:c-7", "hello"))
        #expect(listener.publish("to:agent:joon", "not for us", receivers: 0))
        listener.unsubscribe("to:contact:c-7")
        #expect(listener.publish("to:contact:c-7", "after", receivers: 0))
        #expect(LinkRig.wait { listener.heard.withLock { $0.count >= 2 } })
        usleep(50_000)
        let heard = listener.heard.withLock { $0 }
        #expect(heard.first == "to:agent:minji 안녕하세요")
        #expect(heard.contains("to:contact:c-7 hello"))
        #expect(!heard.contains { $0.contains("not for us") || $0.contains("after") })
    }

    @Test func channelsAskedForBeforeTheLinkIsUpAreSubscribedWhenItIs() throws {
        let server = try RedisServer()
        let listener = try Listener(port: server.port, channels: (0..<1_000).map { "to:contact:\($0)" })
        defer { listener.stop() }
        #expect(listener.publish("to:contact:0", "first"))
        #expect(listener.publish("to:contact:999", "last"))
    }

    @Test func channelsAreSubscribedAgainWhenRedisComesBack() throws {
        let server = try RedisServer()
        let listener = try Listener(port: server.port)
        defer { listener.stop() }
        listener.subscribe("to:agent:minji")
        #expect(listener.publish("to:agent:minji", "before"))
        server.stop()
        #expect(LinkRig.wait { listener.available.withLock { $0.contains(false) } })
        try server.start()
        #expect(listener.publish("to:agent:minji", "after"), "the channel was not subscribed again")
        #expect(LinkRig.wait { listener.heard.withLock { $0.contains("to:agent:minji after") } })
    }
}
