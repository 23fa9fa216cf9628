/// What a record is about, for retention by kind (`[retention]`, protocol/storage.md,
/// "Retention"): read from the payload's `type`, the first field of every stored event.
public enum RecordKind: Int, CaseIterable, Sendable {
    /// Conversation events: messages, joins, transfers, ends.
    case conversation
    /// A message left for agents (`message_left` events, issue 17; `left_message` too).
    case leftMessage
    /// A customer's rating (`rated` events).
    case rating

    static let ratingPrefix = Array("{\"type\":\"rated\"".utf8)
    static let erasurePrefix = Array("{\"type\":\"erased\"".utf8)

    /// True for an erasure marker (`erased` events): recovery lists them so the store
    /// knows what not to serve.
    public static func isErasure(_ payload: UnsafeRawBufferPointer) -> Bool { payload.starts(with: erasurePrefix) }
    static let leftMessagePrefixes = [Array("{\"type\":\"message_left\"".utf8), Array("{\"type\":\"left_message\"".utf8)]

    public static func of(_ payload: UnsafeRawBufferPointer) -> RecordKind {
        if payload.starts(with: ratingPrefix) { return .rating }
        if leftMessagePrefixes.contains(where: { payload.starts(with: $0) }) { return .leftMessage }
        return .conversation
    }

    public static func of(_ payload: [UInt8]) -> RecordKind { payload.withUnsafeBytes { of($0) } }
}

/// The newest wall time (ms) of each kind of record in a segment; `Int64.min` for a
/// kind it does not hold. A plain value.
public struct RecordAges: Equatable, Sendable {
    public var conversation = Int64.min
    public var leftMessage = Int64.min
    public var rating = Int64.min

    public init() {}

    public subscript(kind: RecordKind) -> Int64 {
        get {
            switch kind {
            case .conversation: conversation
            case .leftMessage: leftMessage
            case .rating: rating
            }
        }
        set {
            switch kind {
            case .conversation: conversation = newValue
            case .leftMessage: leftMessage = newValue
            case .rating: rating = newValue
            }
        }
    }

    public mutating func note(_ kind: RecordKind, _ ts: Int64) { self[kind] = max(self[kind], ts) }

    public mutating func merge(_ other: RecordAges) {
        for kind in RecordKind.allCases { note(kind, other[kind]) }
    }
}

/// How long each kind of record is kept (`[retention]`), in seconds; 0 keeps it for
/// ever. The default is three years for every kind: the Korean e-commerce consumer
/// protection act's enforcement decree keeps records of consumer complaints and
/// dispute handling for 3 years (protocol/storage.md, "Retention"). A plain value.
public struct RetentionPolicy: Equatable, Sendable {
    public static let threeYears: Int64 = 1095 * 86_400
    public var conversations = threeYears
    public var leftMessages = threeYears
    public var ratings = threeYears

    public init() {}

    /// Every kind kept for `seconds`.
    public init(all seconds: Int64) {
        conversations = seconds
        leftMessages = seconds
        ratings = seconds
    }

    public func seconds(_ kind: RecordKind) -> Int64 {
        switch kind {
        case .conversation: conversations
        case .leftMessage: leftMessages
        case .rating: ratings
        }
    }

    /// True when every record of `ages` has outlived its kind's retention at `now`.
    public func hasExpired(_ ages: RecordAges, nowMilliseconds now: Int64) -> Bool {
        for kind in RecordKind.allCases where ages[kind] != .min {
            let seconds = seconds(kind)
            if seconds <= 0 || ages[kind] >= now - seconds * 1000 { return false }
        }
        return true
    }
}

/// A segment file as the writer knows it: its number, size and newest record's wall
/// time (ms), overall and by kind. A plain value.
public struct SegmentInfo: Equatable, Sendable {
    public var number: UInt64
    public var bytes: Int64
    public var newestTS: Int64
    public var ages: RecordAges

    /// `newestTS` counts as a conversation record's time unless `ages` says otherwise.
    public init(number: UInt64, bytes: Int64, newestTS: Int64, ages: RecordAges? = nil) {
        self.number = number
        self.bytes = bytes
        self.newestTS = newestTS
        if let ages {
            self.ages = ages
        } else {
            var byKind = RecordAges()
            if newestTS > 0 { byKind.conversation = newestTS }
            self.ages = byKind
        }
    }
}

/// Which closed segments go: whole segments, oldest first, while all segments hold
/// more than the size limit or while the oldest has outlived the retention of every
/// kind of record in it; never a segment numbered `holdFloor` or above (a legal hold on
/// a conversation in it, `switchboard hold`). Pure, with the time passed in (tests
/// inject it); the writer thread applies it after each rotation and about once a second.
public enum Retention {
    /// Why a segment goes.
    public enum Reason: Equatable, Sendable {
        case size
        case age
    }

    /// How many of `closed` (oldest first) to remove, and why each one goes.
    public static func removable(closed: [SegmentInfo], activeBytes: Int64, maxBytes: Int64, policy: RetentionPolicy,
                                 holdFloor: UInt64 = .max, nowMilliseconds: Int64) -> [Reason] {
        var total = closed.reduce(activeBytes) { $0 + $1.bytes }
        var reasons: [Reason] = []
        for segment in closed {
            guard segment.number < holdFloor else { break }
            let reason: Reason
            if policy.hasExpired(segment.ages, nowMilliseconds: nowMilliseconds) {
                reason = .age
            } else if total > maxBytes {
                reason = .size
            } else {
                break
            }
            total -= segment.bytes
            reasons.append(reason)
        }
        return reasons
    }

    /// One age for every kind (`maxAgeSeconds`, 0: keep), without holds.
    public static func removable(closed: [SegmentInfo], activeBytes: Int64, maxBytes: Int64, maxAgeSeconds: Int64,
                                 nowMilliseconds: Int64) -> Int {
        removable(closed: closed, activeBytes: activeBytes, maxBytes: maxBytes, policy: RetentionPolicy(all: maxAgeSeconds),
                  nowMilliseconds: nowMilliseconds).count
    }
}
