import ChatCore

/// A `Harness` whose every command's notices feed a `WaitStatistics`, as the broker's
/// domain thread does. One per test.
final class ObservedCenter {
    let h: Harness
    var stats: WaitStatistics

    init(_ statistics: StatisticsConfiguration = StatisticsConfiguration(),
         _ configure: (inout CenterConfiguration) -> Void = { _ in }) throws {
        h = try Harness(configure)
        stats = WaitStatistics(configuration: statistics, center: h.center)
        h.onNotices = { [unowned self] notices in self.stats.observe(notices, in: self.h.center) }
    }

    func advance(seconds: Int) { h.advance(seconds: seconds) }

    func advance(ms: Int64) {
        h.clock.advance(by: .milliseconds(ms))
        h.run(h.center.fireDueTimers())
    }

    func end(_ contact: ContactID) throws {
        let c = h.contact(contact)
        h.run(try h.center.endConversation(c.conversation!, by: c.agent!))
    }

    func figures(_ queue: QueueID = .orders, _ channel: Channel = .chat) -> (run: LineFigures, window: LineFigures) {
        stats.figures(for: LineID(queue: queue, channel: channel), at: h.clock.now)
    }
}
