import ChatCore
import ChatProtocol

// The wait statistics on the domain thread (protocol/README.md, "Wait statistics" and
// "Estimated wait"): fed with every command's notices in `apply`, refreshed once a
// second from the tick (the agents' load, the published figures), and the estimates
// pushed to waiting customers.

/// The statistics as last computed, for the snapshot, `/v1/stats` and `/metrics`.
/// A plain value.
struct PublishedStats: Hashable, Sendable {
    struct Queue: Hashable, Sendable {
        var longestWaitMs: Int64?
        var wait: WaitStats
        var phone: PhoneComparison
    }

    /// One contact's real and shadow phone waits (`/v1/stats` `recent_contacts`).
    struct ContactRow: Hashable, Sendable {
        var contact: String
        var queue: String
        var channel: String
        var waitMs: Int64?
        var shadowWaitMs: Int64
        var shadowAbandoned: Bool
    }

    /// One line's whole-run durations as Prometheus histograms (`/metrics`); the
    /// centre as a whole is queue "*".
    struct BucketRow: Hashable, Sendable {
        var queue: String
        var channel: String
        var wait: DurationBuckets
        var speedOfAnswer: DurationBuckets
        var handle: DurationBuckets
    }

    var center: CenterStats
    var queues: [Queue]
    var recentContacts: [ContactRow] = []
    var buckets: [BucketRow] = []
}

extension ServiceDesk {
    static let statisticsInterval: Duration = .seconds(1)

    /// Every tick: the shadow phone queues follow real time; once a second the figures
    /// are recomputed (bounded: a merge of the window's
    /// buckets per queue and channel) and the waiting customers' estimates refreshed.
    func tickStatistics(now: Instant) {
        stats.advance(to: now)
        guard lastStatisticsAt.advanced(by: Self.statisticsInterval) <= now else { return }
        lastStatisticsAt = now
        countSlots()
        let fresh = computeStatistics(at: now)
        if fresh != published {
            published = fresh
            snapshotDirty = true
        }
        pushPlaces(now: now)
    }

    /// Chat and call places of the agents on duty per line: the estimator's fallback.
    private func countSlots() {
        for i in slotsPerLine.indices { slotsPerLine[i] = 0 }
        for agent in center.agents where agent.isOnDuty {
            for queue in agent.skills {
                let base = Int(queue.rawValue) * 2
                guard base + 1 < slotsPerLine.count else { continue }
                slotsPerLine[base] += agent.capacity.chat
                slotsPerLine[base + 1] += agent.capacity.voice
            }
        }
    }

    func computeStatistics(at now: Instant) -> PublishedStats {
        let threshold = stats.configuration.serviceLevelThreshold
        var centerWait = (chat: (run: LineTally(), window: LineTally()), voice: (run: LineTally(), window: LineTally()))
        var queues: [PublishedStats.Queue] = []
        var buckets: [PublishedStats.BucketRow] = []
        func bucketRow(_ queue: String, _ channel: String, _ t: LineTally) -> PublishedStats.BucketRow {
            PublishedStats.BucketRow(queue: queue, channel: channel, wait: t.wait.buckets, speedOfAnswer: t.speedOfAnswer.buckets,
                                     handle: t.handleTime.buckets)
        }
        var centerPatience = (chat: PatienceSample(), voice: PatienceSample())
        for index in center.queues.indices {
            let queue = QueueID(Int32(index))
            let chat = stats.tallies(for: LineID(queue: queue, channel: .chat), at: now)
            let voice = stats.tallies(for: LineID(queue: queue, channel: .voice), at: now)
            centerWait.chat.run.add(chat.run)
            centerWait.chat.window.add(chat.window)
            centerWait.voice.run.add(voice.run)
            centerWait.voice.window.add(voice.window)
            buckets.append(bucketRow(key(of: queue), "chat", chat.run))
            buckets.append(bucketRow(key(of: queue), "voice", voice.run))
            let chatPatience = stats.patienceSample(for: LineID(queue: queue, channel: .chat))
            let voicePatience = stats.patienceSample(for: LineID(queue: queue, channel: .voice))
            centerPatience.chat.add(chatPatience)
            centerPatience.voice.add(voicePatience)
            queues.append(PublishedStats.Queue(
                longestWaitMs: longestWait(in: queue, at: now),
                wait: WaitStats(chat: SpanStats(run: LineStats(chat.run), window: LineStats(chat.window),
                                                patience: PatienceStats(chatPatience.curve())),
                                voice: SpanStats(run: LineStats(voice.run), window: LineStats(voice.window),
                                                 patience: PatienceStats(voicePatience.curve()))),
                phone: PhoneComparison(stats.phone(for: queue, at: now), threshold: threshold)))
        }
        let load = stats.agentLoad(at: now)
        let centerStats = CenterStats(
            serviceLevelThresholdMs: Self.milliseconds(threshold),
            windowMs: Self.milliseconds(stats.configuration.window),
            agents: AgentLoadStats(onDuty: Int64(load.now.onDuty), now: LoadStats(load.now), run: LoadStats(load.run),
                                   window: LoadStats(load.window)),
            wait: WaitStats(chat: SpanStats(run: LineStats(centerWait.chat.run), window: LineStats(centerWait.chat.window),
                                            patience: PatienceStats(centerPatience.chat.curve())),
                            voice: SpanStats(run: LineStats(centerWait.voice.run), window: LineStats(centerWait.voice.window),
                                             patience: PatienceStats(centerPatience.voice.curve()))),
            phone: PhoneComparison(stats.phone(for: nil, at: now), threshold: threshold))
        let rows = stats.recentComparisons.map {
            PublishedStats.ContactRow(contact: WireID.contact($0.contact), queue: key(of: $0.queue), channel: $0.channel.rawValue,
                                      waitMs: $0.waitMs, shadowWaitMs: $0.shadowWaitMs, shadowAbandoned: $0.shadowAbandoned)
        }
        buckets.append(bucketRow("*", "chat", centerWait.chat.run))
        buckets.append(bucketRow("*", "voice", centerWait.voice.run))
        return PublishedStats(center: centerStats, queues: queues, recentContacts: rows, buckets: buckets)
    }

    /// How long the first contact of each of the queue's lines has waited (the longer).
    func longestWait(in queue: QueueID, at now: Instant) -> Int64? {
        var longest: Int64?
        for channel in [ChatCore.Channel.chat, .voice] {
            let line = LineID(queue: queue, channel: channel)
            guard center.waitingCount(in: line) > 0,
                  let first = center.firstWaiting(in: line), let since = center.contact(first)?.enqueuedAt else { continue }
            longest = max(longest ?? 0, max(0, now.milliseconds - since.milliseconds))
        }
        return longest
    }

    /// The estimated wait for `place` in `line` now (nil: nothing to go on yet),
    /// discounting those ahead who are likely to give up first.
    func estimate(place: Int, in line: LineID, at now: Instant) -> Int64? {
        let ahead = center.waitingContacts(in: line).prefix(max(0, place - 1))
        return estimates(forWaitsOf: Array(ahead) + [nil], in: line, at: now).last ?? nil
    }

    /// The estimated waits of the line's places, in order, for the contacts given
    /// (nil: a newcomer who has not waited yet).
    func estimates(forWaitsOf contacts: [ContactID?], in line: LineID, at now: Instant) -> [Int64?] {
        let i = Int(line.queue.rawValue) * 2 + (line.channel == .voice ? 1 : 0)
        let waited = contacts.map { id -> Int64 in
            guard let id, let since = center.contact(id)?.enqueuedAt else { return 0 }
            return max(0, now.milliseconds - since.milliseconds)
        }
        return stats.estimatedWaits(waitedMs: waited, in: line, slots: slotsPerLine.indices.contains(i) ? slotsPerLine[i] : 0,
                                    at: now, patience: patienceOutlook(for: line, at: now))
    }

    private func patienceOutlook(for line: LineID, at now: Instant) -> PatienceOutlook {
        let i = Int(line.queue.rawValue) * 2 + (line.channel == .voice ? 1 : 0)
        if let cached = patienceOutlooks[i], now.milliseconds - cached.madeAtMs < 1_000 { return cached.outlook }
        let outlook = PatienceOutlook(stats.patience(for: line))
        patienceOutlooks[i] = (now.milliseconds, outlook)
        return outlook
    }

    /// Tells a waiting customer their place and estimate, and records the estimate
    /// given (its error is measured when the contact is assigned). `atEnqueue`: the
    /// `queued` that answers the contact's joining the line (not a resume's repeat).
    func tellPlace(_ session: CustomerSession, contact: ContactID, place: Int, estimate: Int64?, first: Bool,
                   atEnqueue: Bool = false, queue: String, on connection: ConnectionID, at now: Instant) {
        session.place = place
        session.estimateMs = estimate
        if first {
            send(.queued(Queued(queue: queue, place: place, estimatedWaitMs: estimate)), to: connection)
        } else {
            send(.placeInLine(PlaceInLine(place: place, estimatedWaitMs: estimate)), to: connection)
        }
        if let estimate { stats.recordEstimate(contact, ms: estimate, at: now, atEnqueue: atEnqueue) }
    }

    /// `place_in_line` to each waiting customer whose place moved or whose estimate
    /// changed noticeably (by 2 s and 10% or more, or appeared): at most once a second.
    private func pushPlaces(now: Instant) {
        for index in 0..<(center.queues.count * 2) {
            let line = LineID(queue: QueueID(Int32(index / 2)), channel: index % 2 == 1 ? .voice : .chat)
            guard center.waitingCount(in: line) > 0 else { continue }
            let waiting = center.waitingContacts(in: line)
            let lineEstimates = estimates(forWaitsOf: waiting, in: line, at: now)
            for (position, contact) in waiting.enumerated() {
                guard let owner = contactOwners[contact], owner.contact == contact, let connection = owner.connection else { continue }
                let place = position + 1
                let estimate = lineEstimates[position]
                guard owner.place != place || Self.isNews(estimate, after: owner.estimateMs) else { continue }
                tellPlace(owner, contact: contact, place: place, estimate: estimate, first: false,
                          queue: key(of: line.queue), on: connection, at: now)
            }
        }
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    static func isNews(_ estimate: Int64?, after previous: Int64?) -> Bool {
        guard let estimate else { return false }
        guard let previous else { return true }
        let change = abs(estimate - previous)
        return change >= 2_000 && change * 10 >= previous
    }
}
