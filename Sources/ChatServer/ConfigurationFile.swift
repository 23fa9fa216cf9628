#if canImport(Glibc)
import Glibc
#endif
import ChatCore
import ChatStorage
import Privacy
import Posix
import Redis
import TOMLKit

/// Reads the broker's TOML configuration file (protocol/configuration.md) into a
/// `BrokerConfiguration`. Strict: a syntax error, an unknown key, a value of the wrong
/// type or out of range, a skill naming no queue or a malformed secret hash is a
/// `ConfigurationError` with the line and the key, and the broker does not start.
/// Every key is optional. Stateless; used once at start-up.
public enum ConfigurationFile {
    /// Reads and parses the file at `path`: a file (or a pipe) of at most 16 MiB of
    /// TOML text; a directory, a read error, bytes that are not UTF-8 or a control
    /// character are refused like any other error, with the line and column.
    public static func load(path: String) throws(ConfigurationError) -> BrokerConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try File.readWhole(path, limit: 16 * 1024 * 1024)
        } catch {
            switch error.errno {
            case EISDIR: throw ConfigurationError(line: nil, key: nil, reason: "is a directory, not a configuration file")
            case EFBIG: throw ConfigurationError(line: nil, key: nil, reason: "larger than 16 MiB; is this the right file?")
            default: throw ConfigurationError(line: nil, key: nil, reason: "cannot read: \(String(cString: strerror(error.errno)))")
            }
        }
        return try parseText(try ConfigurationText.decode(bytes))
    }

    /// Parses a configuration text. Checked as TOML text first (`ConfigurationText`):
    /// the TOML reader would stop silently at a NUL.
    public static func parse(_ text: String) throws(ConfigurationError) -> BrokerConfiguration {
        _ = try ConfigurationText.decode(Array(text.utf8))
        return try parseText(text)
    }

    /// Parses a text `ConfigurationText` has checked.
    private static func parseText(_ text: String) throws(ConfigurationError) -> BrokerConfiguration {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(line: error.source.begin.line, column: error.source.begin.column, key: nil,
                                     reason: "TOML syntax: \(error.description)")
        } catch {
            throw ConfigurationError(line: nil, key: nil, reason: "TOML syntax: \(error)")
        }
        let root = TOMLSection(table: table, path: "", lines: TOMLLines(text))
        try root.allowOnly(["queues", "routing", "grace", "business_hours", "faq", "limits", "statistics", "security", "transcripts",
                            "privacy", "retention", "console", "agents", "supervisors", "cluster"])
        var configuration = BrokerConfiguration()
        if let queues = try root.sections("queues") { configuration.center.queues = try readQueues(queues, root) }
        if let routing = try root.section("routing") { try readRouting(routing, into: &configuration.center) }
        if let grace = try root.section("grace") {
            try grace.allowOnly(["customer_seconds", "agent_seconds"])
            if let d = try grace.seconds("customer_seconds", 0...86_400) { configuration.center.customerGracePeriod = d }
            if let d = try grace.seconds("agent_seconds", 0...86_400) { configuration.center.agentGracePeriod = d }
        }
        if let hours = try root.section("business_hours") { configuration.center.businessHours = try readHours(hours) }
        if let faq = try root.section("faq") { try readFAQ(faq, into: &configuration.center) }
        if let limits = try root.section("limits") { try readLimits(limits, into: &configuration) }
        if let transcripts = try root.section("transcripts") { try readTranscripts(transcripts, into: &configuration.transcripts) }
        if let privacy = try root.section("privacy") { configuration.maskedKinds = try readPrivacy(privacy) }
        if let retention = try root.section("retention") { try readRetention(retention, into: &configuration.transcripts.retention) }
        if let statistics = try root.section("statistics") { try readStatistics(statistics, into: &configuration.statistics) }
        if let security = try root.section("security") {
            try security.allowOnly(["allowed_origins"])
            let origins = try security.strings("allowed_origins") ?? []
            for (index, origin) in origins.enumerated() where !isOrigin(origin) {
                throw security.error("allowed_origins[\(index)]", origin == "null"
                    ? "\"null\" is the origin of sandboxed frames and file: pages, which any site can make; it is never allowed"
                    : "'\(origin)' is not an origin: scheme://host[:port], http or https, no path or trailing slash (as a browser sends it)")
            }
            configuration.allowedOrigins = origins
        }
        if let console = try root.section("console") {
            try console.allowOnly(["canned_replies"])
            configuration.cannedReplies = try readCannedReplies(console)
        }
        if let cluster = try root.section("cluster") { try readCluster(cluster, into: &configuration.cluster) }
        let queueKeys = configuration.center.queues.map(\.key)
        if let agents = try root.sections("agents") {
            configuration.agents = try agents.map { (s) throws(ConfigurationError) in try readAgent(s, queueKeys: queueKeys) }
            try refuseRepeats(agents, configuration.agents.map(\.handle), key: "handle")
        }
        if let supervisors = try root.sections("supervisors") {
            configuration.supervisors = try supervisors.map { (s) throws(ConfigurationError) in try readSupervisor(s) }
            try refuseRepeats(supervisors, configuration.supervisors.map(\.login), key: "login")
        }
        return configuration
    }

    // MARK: Sections

    /// `[cluster]`: the shared Redis and this node's name (protocol/cluster.md).
    private static func readCluster(_ s: TOMLSection, into cluster: inout ClusterConfiguration) throws(ConfigurationError) {
        try s.allowOnly(["redis", "node_name", "lease_timeout_seconds", "snapshot_every", "key_prefix"])
        if let url = try s.string("redis") {
            do {
                cluster.redis = try RedisAddress(url: url)
            } catch {
                throw s.error("redis", error.description)
            }
        }
        if let name = try s.string("node_name") {
            if let problem = ClusterConfiguration.problem(withNodeName: name) { throw s.error("node_name", problem) }
            cluster.nodeName = name
        }
        if let timeout = try s.seconds("lease_timeout_seconds", 1...60) { cluster.leaseTimeout = timeout }
        if let every = try s.int("snapshot_every", 10...10_000_000) { cluster.snapshotEvery = Int64(every) }
        if let prefix = try s.string("key_prefix") {
            guard !prefix.isEmpty, prefix.count <= 64, prefix.allSatisfy({ ClusterConfiguration.isNameCharacter($0) || $0 == ":" }) else {
                throw s.error("key_prefix", "1 to 64 letters, digits, '.', '_', '-' or ':'")
            }
            cluster.keyPrefix = prefix
        }
    }

    private static func readStatistics(_ s: TOMLSection, into statistics: inout StatisticsConfiguration) throws(ConfigurationError) {
        try s.allowOnly(["service_level_seconds", "window_seconds", "window_buckets", "estimator_window_seconds"])
        if let d = try s.seconds("service_level_seconds", 0...86_400) { statistics.serviceLevelThreshold = d }
        if let d = try s.seconds("window_seconds", 1...86_400) { statistics.window = d }
        if let n = try s.int("window_buckets", 1...1_000) { statistics.windowBuckets = n }
        if let d = try s.seconds("estimator_window_seconds", 1...86_400) { statistics.serviceRateWindow = d }
    }

    private static func readQueues(_ sections: [TOMLSection], _ root: TOMLSection) throws(ConfigurationError) -> [QueueConfiguration] {
        guard !sections.isEmpty else { throw root.error("queues", "at least one queue is needed") }
        var queues: [QueueConfiguration] = []
        for s in sections {
            try s.allowOnly(["key", "name", "english_name", "max_waiting"])
            guard let key = try s.string("key") else { throw s.error(nil, "a queue needs a key") }
            try requireIdentifier(key, s, "key")
            let name = try s.string("name") ?? key
            try requireDisplayName(name, s, "name")
            let english = try s.string("english_name") ?? ""
            if !english.isEmpty { try requireDisplayName(english, s, "english_name") }
            let maxWaiting = try s.int("max_waiting", 0...1_000_000) ?? 1_000
            queues.append(QueueConfiguration(key: key, name: name, englishName: english, maxWaiting: maxWaiting))
        }
        try refuseRepeats(sections, queues.map(\.key), key: "key")
        return queues
    }

    private static func readRouting(_ s: TOMLSection, into center: inout CenterConfiguration) throws(ConfigurationError) {
        try s.allowOnly(["mode", "offer_timeout_seconds", "reoffer_delay_seconds"])
        let timeout = try s.seconds("offer_timeout_seconds", 1...3_600) ?? .seconds(20)
        switch try s.string("mode") ?? "direct" {
        case "direct":
            if s.has("offer_timeout_seconds") { throw s.error("offer_timeout_seconds", "applies only with mode = \"offer\"") }
            center.routing = .direct
        case "offer": center.routing = .offer(timeout: timeout)
        case let other: throw s.error("mode", "must be \"direct\" or \"offer\", not \"\(other)\"")
        }
        if let d = try s.seconds("reoffer_delay_seconds", 0...86_400) { center.reofferDelay = d }
    }

    static let weekdayKeys: [(String, Weekday)] = [
        ("monday", .monday), ("tuesday", .tuesday), ("wednesday", .wednesday), ("thursday", .thursday),
        ("friday", .friday), ("saturday", .saturday), ("sunday", .sunday),
    ]

    private static func readHours(_ s: TOMLSection) throws(ConfigurationError) -> BusinessHours {
        try s.allowOnly(["always_open", "time_zone", "holidays"] + weekdayKeys.map(\.0))
        var zone = TimeZoneOffset.seoul
        if let name = try s.string("time_zone") {
            do throws(TimeZoneDatabase.Failure) {
                zone = try TimeZoneDatabase.zone(named: name)
            } catch {
                throw s.error("time_zone", error.description)
            }
        }
        var weekly: [Weekday: [OpeningHours]] = [:]
        for (key, day) in weekdayKeys {
            guard let spans = try s.strings(key) else { continue }
            weekly[day] = try spans.enumerated().map { (index, text) throws(ConfigurationError) in
                guard let hours = OpeningHours(text) else {
                    throw s.error("\(key)[\(index)]", "'\(text)' is not HH:MM-HH:MM")
                }
                return hours
            }
        }
        var holidays = Set<LocalDate>()
        if let value = s.value("holidays") {
            guard let array = value.array else { throw s.error("holidays", "must be an array of dates, not \(value.type)") }
            for (index, element) in array.enumerated() {
                if let d = element.date, let date = LocalDate(year: Int(d.year), month: Int(d.month), day: Int(d.day)) {
                    holidays.insert(date)
                } else if let text = element.string, let date = LocalDate(text) {
                    holidays.insert(date)
                } else {
                    throw s.error("holidays[\(index)]", "must be a date (2026-01-01 or \"2026-01-01\")")
                }
            }
        }
        let alwaysOpen = try s.bool("always_open") ?? weekly.isEmpty
        if alwaysOpen {
            if !weekly.isEmpty { throw s.error("always_open", "true conflicts with weekday hours; remove one") }
            return .alwaysOpen
        }
        return BusinessHours(timeZone: zone, weekly: weekly, holidays: holidays)
    }

    private static func readFAQ(_ s: TOMLSection, into center: inout CenterConfiguration) throws(ConfigurationError) {
        try s.allowOnly(["threshold", "max_suggestions", "entries"])
        if let t = try s.double("threshold", 0...1) { center.faqThreshold = t }
        if let n = try s.int("max_suggestions", 0...10) { center.faqSuggestionLimit = n }
        var entries: [FAQEntry] = []
        for e in try s.sections("entries") ?? [] {
            try e.allowOnly(["id", "language", "question", "answer", "keywords"])
            guard let id = try e.string("id") else { throw e.error(nil, "an FAQ entry needs an id") }
            try requireIdentifier(id, e, "id")
            guard let question = try e.string("question"), (1...500).contains(question.unicodeScalars.count),
                  !question.unicodeScalars.contains(where: isControl) else {
                throw e.error("question", "one line of 1 to 500 characters is needed")
            }
            guard let answer = try e.string("answer"), (1...4_000).contains(answer.unicodeScalars.count) else {
                throw e.error("answer", "1 to 4000 characters are needed")
            }
            let languageName = try e.string("language") ?? "ko"
            guard let language = Language(rawValue: languageName) else { throw e.error("language", "must be \"ko\" or \"en\"") }
            entries.append(FAQEntry(id: id, question: question, answer: answer, language: language,
                                    keywords: try e.strings("keywords") ?? []))
        }
        if let sections = try s.sections("entries") { try refuseRepeats(sections, entries.map(\.id), key: "id") }
        center.faqEntries = entries
    }

    private static func readLimits(_ s: TOMLSection, into configuration: inout BrokerConfiguration) throws(ConfigurationError) {
        try s.allowOnly(["max_messages_per_second", "message_burst", "max_connections_per_address", "max_text_length",
                         "max_comment_length", "max_pending_messages", "ended_contacts_kept", "transcripts_kept",
                         "max_events_per_conversation", "max_sessions", "failed_sign_ins_per_minute", "sign_in_queue",
                         "max_messages_per_second_per_address", "history_bytes_per_second"])
        if let n = try s.int("max_messages_per_second", 1...1_000) {
            configuration.limits.maxMessagesPerSecond = n
            configuration.limits.messageBurst = 2 * n
        }
        if let n = try s.int("message_burst", 1...10_000) { configuration.limits.messageBurst = n }
        if let n = try s.int("max_messages_per_second_per_address", 0...1_000_000) {
            configuration.limits.maxMessagesPerSecondPerAddress = n
        }
        if let n = try s.int("history_bytes_per_second", 0...1_000_000_000) { configuration.limits.historyBytesPerSecond = n }
        if let n = try s.int("max_connections_per_address", 0...1_000_000) { configuration.limits.maxConnectionsPerAddress = n }
        if let n = try s.int("max_text_length", 1...4_000) { configuration.center.maxMessageLength = n }
        if let n = try s.int("max_comment_length", 0...1_000) { configuration.center.maxCommentLength = n }
        if let n = try s.int("max_pending_messages", 0...10_000_000) { configuration.center.maxPendingMessages = n }
        if let n = try s.int("ended_contacts_kept", 0...10_000_000) { configuration.center.endedContactsKept = n }
        if let n = try s.int("transcripts_kept", 1...10_000_000) { configuration.limits.transcriptsKept = n }
        if let n = try s.int("max_events_per_conversation", 10...1_000_000) { configuration.limits.maxEventsPerConversation = n }
        if let n = try s.int("max_sessions", 1...10_000_000) { configuration.limits.maxSessions = n }
        if let n = try s.int("failed_sign_ins_per_minute", 0...1_000_000) { configuration.limits.failedSignInsPerMinute = n }
        if let n = try s.int("sign_in_queue", 1...10_000) { configuration.limits.signInQueue = n }
    }

    private static func readTranscripts(_ s: TOMLSection, into t: inout StorageConfiguration) throws(ConfigurationError) {
        try s.allowOnly(["fsync", "fsync_interval_ms", "ring_bytes", "segment_bytes", "retention_bytes", "retention_days",
                         "max_pending_bytes"])
        let interval = try s.int("fsync_interval_ms", 1...10_000) ?? 5
        switch try s.string("fsync") {
        case nil, "interval": t.fsync = .interval(milliseconds: interval)
        case "always": t.fsync = .always
        case "never": t.fsync = .never
        case let other?: throw s.error("fsync", "'\(other)' is not one of always, interval, never")
        }
        if let n = try s.int("ring_bytes", 4096...(64 << 30)) { t.ringBytes = n }
        if let n = try s.int("segment_bytes", (64 << 10)...(1 << 30)) { t.segmentBytes = n }
        if let n = try s.int("retention_bytes", (1 << 20)...Int.max) { t.retentionBytes = Int64(n) }
        if let n = try s.int("retention_days", 0...100_000) { t.retentionSeconds = Int64(n) * 86_400 }
        if let n = try s.int("max_pending_bytes", (64 << 10)...(16 << 30)) { t.maxPendingBytes = n }
    }

    /// `[retention]`: days each kind of record is kept (0: for ever); three years by
    /// default (protocol/storage.md, "Retention"). Read after `[transcripts]`, so it
    /// wins over `retention_days` there.
    private static func readRetention(_ s: TOMLSection, into r: inout RetentionPolicy) throws(ConfigurationError) {
        try s.allowOnly(["conversations_days", "left_messages_days", "ratings_days"])
        if let n = try s.int("conversations_days", 0...100_000) { r.conversations = Int64(n) * 86_400 }
        if let n = try s.int("left_messages_days", 0...100_000) { r.leftMessages = Int64(n) * 86_400 }
        if let n = try s.int("ratings_days", 0...100_000) { r.ratings = Int64(n) * 86_400 }
    }

    /// `[privacy]`: one switch per kind of personal number (`rrn`, `card`, `phone`,
    /// `account`, `email`), each true by default.
    private static func readPrivacy(_ s: TOMLSection) throws(ConfigurationError) -> PersonalDataKinds {
        try s.allowOnly(PersonalDataKind.allCases.map(\.rawValue))
        var kinds = PersonalDataKinds.all
        for kind in PersonalDataKind.allCases where try s.bool(kind.rawValue) == false { kinds.remove(kind) }
        return kinds
    }

    /// `[console] canned_replies`: the agent console's one-click replies (at most 50,
    /// each 1–1000 characters of free text), sent in every agent's `welcome`.
    private static func readCannedReplies(_ s: TOMLSection) throws(ConfigurationError) -> [String] {
        let replies = try s.strings("canned_replies") ?? []
        guard replies.count <= 50 else { throw s.error("canned_replies", "at most 50 replies, not \(replies.count)") }
        for (index, reply) in replies.enumerated() {
            let scalars = reply.unicodeScalars
            guard (1...1_000).contains(scalars.count), scalars.contains(where: { !$0.properties.isWhitespace }),
                  !scalars.contains(where: { isControl($0) && $0 != "\t" && $0 != "\n" && $0 != "\r" }) else {
                throw s.error("canned_replies[\(index)]", "1 to 1000 characters of text are needed (no control characters but tab and line breaks)")
            }
        }
        return replies
    }

    private static func readAgent(_ s: TOMLSection, queueKeys: [String]) throws(ConfigurationError) -> AgentAccount {
        try s.allowOnly(["handle", "name", "skills", "chat_capacity", "voice_capacity", "secret"])
        guard let handle = try s.string("handle") else { throw s.error(nil, "an agent needs a handle (their login)") }
        try requireIdentifier(handle, s, "handle")
        let name = try s.string("name") ?? handle
        try requireDisplayName(name, s, "name")
        let skills = try s.strings("skills") ?? queueKeys
        for (index, key) in skills.enumerated() where !queueKeys.contains(key) {
            throw s.error("skills[\(index)]", "no queue has the key '\(key)' (queues: \(queueKeys.joined(separator: ", ")))")
        }
        let capacity = Capacity(chat: try s.int("chat_capacity", 0...1_000) ?? 3, voice: try s.int("voice_capacity", 0...1) ?? 1)
        let secret = try requireSecret(s)
        return AgentAccount(handle: handle, name: name, skills: skills, capacity: capacity, secret: secret)
    }

    private static func readSupervisor(_ s: TOMLSection) throws(ConfigurationError) -> SupervisorAccount {
        try s.allowOnly(["login", "name", "secret"])
        guard let login = try s.string("login") else { throw s.error(nil, "a supervisor needs a login") }
        try requireIdentifier(login, s, "login")
        let name = try s.string("name") ?? login
        try requireDisplayName(name, s, "name")
        return SupervisorAccount(login: login, name: name, secret: try requireSecret(s))
    }

    // MARK: Checks

    private static func requireSecret(_ s: TOMLSection) throws(ConfigurationError) -> String {
        guard let secret = try s.string("secret") else {
            throw s.error("secret", "is required: a hash from `switchboard hash-secret` (the secret itself is never stored)")
        }
        do {
            _ = try SecretHash(parsing: secret)
        } catch {
            throw s.error("secret", error.reason)
        }
        return secret
    }

    /// The protocol's identifiers: 1–64 of `A–Z a–z 0–9 . _ : @ + -`.
    static func isIdentifier(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return (1...64).contains(bytes.count) && bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2E || b == 0x5F || b == 0x3A || b == 0x40 || b == 0x2B || b == 0x2D
        }
    }

    /// A serialized origin as browsers send it in `Origin` (RFC 6454 §6.2): `http://` or
    /// `https://`, a host of lower-case letters, digits, `.`, `-` (or an IPv6 literal),
    /// an optional port; nothing after. Anything else would never match and lock every
    /// page out; `null` would let in any page that sandboxes itself.
    static func isOrigin(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let scheme: Int
        if bytes.starts(with: Array("https://".utf8)) { scheme = 8 } else if bytes.starts(with: Array("http://".utf8)) { scheme = 7 } else { return false }
        let rest = bytes[scheme...]
        guard !rest.isEmpty else { return false }
        var host = rest[...]
        var port: ArraySlice<UInt8> = []
        if rest.first == UInt8(ascii: "[") {
            guard let close = rest.firstIndex(of: UInt8(ascii: "]")) else { return false }
            host = rest[...close]
            port = rest[(close + 1)...]
            guard host.dropFirst().dropLast().allSatisfy({ $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                  host.count > 2 else { return false }
        } else {
            let colon = rest.firstIndex(of: UInt8(ascii: ":")) ?? rest.endIndex
            host = rest[..<colon]
            port = rest[colon...]
            guard !host.isEmpty, host.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else { return false }
        }
        if port.isEmpty { return true }
        let digits = port.dropFirst()
        guard port.first == UInt8(ascii: ":"), (1...5).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
              let number = Int(String(decoding: digits, as: UTF8.self)), (1...65_535).contains(number) else { return false }
        return true
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }

    private static func requireIdentifier(_ text: String, _ s: TOMLSection, _ key: String) throws(ConfigurationError) {
        guard isIdentifier(text) else {
            throw s.error(key, "'\(text)' is not an identifier (1 to 64 of A-Z a-z 0-9 . _ : @ + -)")
        }
    }

    private static func requireDisplayName(_ text: String, _ s: TOMLSection, _ key: String) throws(ConfigurationError) {
        guard (1...100).contains(text.unicodeScalars.count), !text.unicodeScalars.contains(where: isControl) else {
            throw s.error(key, "must be one line of 1 to 100 characters")
        }
    }

    private static func refuseRepeats(_ sections: [TOMLSection], _ values: [String], key: String) throws(ConfigurationError) {
        var seen = Set<String>()
        for (section, value) in zip(sections, values) where !seen.insert(value).inserted {
            throw section.error(key, "'\(value)' repeats")
        }
    }
}
