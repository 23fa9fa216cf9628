// What the server pushes to a customer before a conversation: FAQ answers, the line,
// "leave a message" (protocol/README.md, "Server → client"). Plain values.

/// FAQ answers that may solve the problem, best first.
public struct FAQSuggestions: Hashable, Sendable, WireObject {
    public var suggestions: [FAQSuggestion]
    public init(suggestions: [FAQSuggestion]) { self.suggestions = suggestions }

    static let requiredFields = ["suggestions"]
    init(reading f: FieldReader) throws(ProtocolError) {
        suggestions = try f.objects("suggestions", count: 1...ProtocolLimits.maxFAQSuggestions)
    }
    func writeFields(to w: inout JSONWriter) { w.field("suggestions", suggestions) }
}

/// One FAQ answer and how well it matched (0...1).
public struct FAQSuggestion: Hashable, Sendable, WireObject {
    public var entry: String
    public var question: String
    public var answer: String
    public var score: Double

    public init(entry: String, question: String, answer: String, score: Double) {
        self.entry = entry
        self.question = question
        self.answer = answer
        self.score = score
    }

    static let requiredFields = ["entry", "question", "answer", "score"]
    init(reading f: FieldReader) throws(ProtocolError) {
        entry = try f.string("entry", .identifier)
        question = try f.string("question", .faqQuestion)
        answer = try f.string("answer", .messageText)
        score = try f.number("score", 0...1)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("entry", entry)
        w.field("question", question)
        w.field("answer", answer)
        w.field("score", score)
    }
}

/// `queued`: joined the line of `queue` at `place` (1 is next).
public struct Queued: Hashable, Sendable, WireObject {
    public var queue: String
    public var place: Int
    public var estimatedWaitMs: Int64?
    public init(queue: String, place: Int, estimatedWaitMs: Int64? = nil) {
        self.queue = queue
        self.place = place
        self.estimatedWaitMs = estimatedWaitMs
    }

    static let requiredFields = ["queue", "place"]
    static let optionalFields = ["estimated_wait_ms"]
    init(reading f: FieldReader) throws(ProtocolError) {
        queue = try f.string("queue", .identifier)
        place = Int(try f.integer("place", placeRange))
        estimatedWaitMs = try f.optionalInteger("estimated_wait_ms", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("queue", queue)
        w.field("place", place)
        w.field("estimated_wait_ms", estimatedWaitMs)
    }
}

let placeRange: ClosedRange<Int64> = 1...1_000_000_000

/// `place_in_line`: the place or the estimate changed.
public struct PlaceInLine: Hashable, Sendable, WireObject {
    public var place: Int
    public var estimatedWaitMs: Int64?
    public init(place: Int, estimatedWaitMs: Int64? = nil) { self.place = place; self.estimatedWaitMs = estimatedWaitMs }

    static let requiredFields = ["place"]
    static let optionalFields = ["estimated_wait_ms"]
    init(reading f: FieldReader) throws(ProtocolError) {
        place = Int(try f.integer("place", placeRange))
        estimatedWaitMs = try f.optionalInteger("estimated_wait_ms", cursorRange)
    }
    func writeFields(to w: inout JSONWriter) { w.field("place", place); w.field("estimated_wait_ms", estimatedWaitMs) }
}

/// `leave_message_offered`: nobody can chat now.
public struct LeaveMessageOffered: Hashable, Sendable, WireObject {
    public var reason: LeaveMessageReason
    /// When business hours open next, if known.
    public var opensAt: Int64?
    /// The centre's time zone (IANA name or offset), to show `opens_at` in: sent with it.
    public var timeZone: String?
    public init(reason: LeaveMessageReason, opensAt: Int64? = nil, timeZone: String? = nil) {
        self.reason = reason
        self.opensAt = opensAt
        self.timeZone = timeZone
    }

    static let requiredFields = ["reason"]
    static let optionalFields = ["opens_at", "time_zone"]
    init(reading f: FieldReader) throws(ProtocolError) {
        reason = try f.word("reason")
        opensAt = try f.optionalInteger("opens_at", cursorRange)
        timeZone = try f.optionalString("time_zone", .timeZone)
    }
    func writeFields(to w: inout JSONWriter) {
        w.field("reason", reason)
        w.field("opens_at", opensAt)
        w.field("time_zone", timeZone)
    }
}

/// `message_stored`: the left message is stored for agents.
public struct MessageStored: Hashable, Sendable, WireObject {
    public var ts: Int64
    public init(ts: Int64) { self.ts = ts }

    static let requiredFields = ["ts"]
    init(reading f: FieldReader) throws(ProtocolError) { ts = try f.integer("ts", cursorRange) }
    func writeFields(to w: inout JSONWriter) { w.field("ts", ts) }
}

/// `privacy_notice`: a personal number of this kind was hidden in what the customer
/// sent, before it was stored or shown to the agent. Sent once per kind per session,
/// in the session's language.
public struct PrivacyNotice: Hashable, Sendable, WireObject {
    public var kind: MaskedKind
    public var text: String
    public init(kind: MaskedKind, text: String) { self.kind = kind; self.text = text }

    static let requiredFields = ["kind", "text"]
    init(reading f: FieldReader) throws(ProtocolError) {
        kind = try f.word("kind")
        text = try f.string("text", .errorMessage)
    }
    func writeFields(to w: inout JSONWriter) { w.field("kind", kind); w.field("text", text) }
}
