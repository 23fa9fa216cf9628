// The byte form of a command-log entry, version 1. Big-endian throughout:
//
//   u8  version (1)
//   i64 at, i64 wall             milliseconds, each in LoggedCommand.timeRange
//   u8  command tag (1...19)     then the command's fields, in declaration order
//
// Field types: ids are i32 (AgentID, QueueID) or u64 (ContactID, ConversationID,
// OfferID); Int is i64; enumerations are one byte (see the tables below); a string is
// a u32 byte count and that many bytes of UTF-8, within its limit; an optional string
// is a byte 0 (absent) or 1 followed by the string; a list is a u32 count and items.
// Every field is written, and every byte must be read: a decoder refuses unknown
// versions, tags and enumeration bytes, bad UTF-8, over-long strings and trailing
// bytes. Tags and enumeration bytes are fixed here, never derived from declaration
// order, so reordering a Swift enum cannot change the log's meaning.

extension LoggedCommand {
    /// The format version this build writes and reads.
    public static let formatVersion: UInt8 = 1

    /// The entry as bytes. Throws `tooLong` for a string or list past its limit and
    /// `timeOutOfRange` for a time outside `timeRange`: such an entry could not be
    /// read back, so it must not be logged.
    public func encoded() throws(CommandLogError) -> [UInt8] {
        var w = CommandLogWriter(capacity: 64)
        w.byte(Self.formatVersion)
        try w.time(at.milliseconds, field: "at")
        try w.time(wall.millisecondsSince1970, field: "wall")
        try command.encode(into: &w)
        return w.bytes
    }

    /// Reads one whole entry; see the format above.
    public init(decoding bytes: [UInt8]) throws(CommandLogError) {
        var r = CommandLogReader(bytes)
        let version = try r.byte("version")
        guard version == Self.formatVersion else { throw .unsupportedVersion(version) }
        at = Instant(milliseconds: try r.time("at"))
        wall = WallTime(millisecondsSince1970: try r.time("wall"))
        command = try CenterCommand(from: &r)
        guard r.remaining == 0 else { throw .trailingBytes(count: r.remaining) }
    }
}

extension CenterCommand {
    /// The command's tag in the byte form.
    var tag: UInt8 {
        switch self {
        case .addAgent: 1
        case .setStatus: 2
        case .agentDisconnected: 3
        case .agentReconnected: 4
        case .acceptOffer: 5
        case .declineOffer: 6
        case .agentReplied: 7
        case .endConversation: 8
        case .transfer: 9
        case .customerArrives: 10
        case .resolveWithFAQ: 11
        case .continueAfterFAQ: 12
        // A left message with where to answer it is a tag of its own, so that entries
        // written before it existed read the same.
        case .leaveMessage(_, _, let replyTo): replyTo == nil ? 13 : 20
        case .restoreMessage: 14
        case .customerLeaves: 15
        case .customerDisconnected: 16
        case .customerReconnected: 17
        case .rate: 18
        case .fireDueTimers: 19
        }
    }

    func encode(into w: inout CommandLogWriter) throws(CommandLogError) {
        w.byte(tag)
        switch self {
        case .addAgent(let profile):
            try w.string(profile.handle, limit: LoggedCommand.maxFieldBytes, field: "handle")
            try w.string(profile.displayName, limit: LoggedCommand.maxFieldBytes, field: "displayName")
            try w.count(profile.skills.count, limit: LoggedCommand.maxSkills, field: "skills")
            for skill in profile.skills { w.int32(skill.rawValue) }
            w.int(profile.capacity.chat)
            w.int(profile.capacity.voice)
        case .setStatus(let agent, let status):
            w.int32(agent.rawValue)
            w.byte(status.byte)
        case .agentDisconnected(let agent), .agentReconnected(let agent):
            w.int32(agent.rawValue)
        case .acceptOffer(let offer, let agent), .declineOffer(let offer, let agent):
            w.uint64(offer.rawValue)
            w.int32(agent.rawValue)
        case .agentReplied(let conversation, let agent), .endConversation(let conversation, let agent):
            w.uint64(conversation.rawValue)
            w.int32(agent.rawValue)
        case .transfer(let conversation, let target, let agent):
            w.uint64(conversation.rawValue)
            switch target {
            case .queue(let queue):
                w.byte(0)
                w.int32(queue.rawValue)
            case .agent(let other):
                w.byte(1)
                w.int32(other.rawValue)
            }
            w.int32(agent.rawValue)
        case .customerArrives(let request):
            try request.encode(into: &w)
        case .resolveWithFAQ(let contact, let entryID):
            w.uint64(contact.rawValue)
            try w.optionalString(entryID, limit: LoggedCommand.maxFieldBytes, field: "entryID")
        case .continueAfterFAQ(let contact), .customerLeaves(let contact),
             .customerDisconnected(let contact), .customerReconnected(let contact):
            w.uint64(contact.rawValue)
        case .leaveMessage(let contact, let text, let replyTo):
            w.uint64(contact.rawValue)
            try w.string(text, limit: LoggedCommand.maxTextBytes, field: "text")
            if let replyTo { try w.string(replyTo, limit: LoggedCommand.maxFieldBytes, field: "replyTo") }
        case .restoreMessage(let request, let text):
            try request.encode(into: &w)
            try w.string(text, limit: LoggedCommand.maxTextBytes, field: "text")
        case .rate(let conversation, let contact, let score, let comment):
            w.uint64(conversation.rawValue)
            w.uint64(contact.rawValue)
            w.int(score)
            try w.optionalString(comment, limit: LoggedCommand.maxCommentBytes, field: "comment")
        case .fireDueTimers:
            break
        }
    }

    init(from r: inout CommandLogReader) throws(CommandLogError) {
        let tag = try r.byte("command")
        switch tag {
        case 1:
            let handle = try r.string(limit: LoggedCommand.maxFieldBytes, "handle")
            let displayName = try r.string(limit: LoggedCommand.maxFieldBytes, "displayName")
            let count = try r.count(limit: LoggedCommand.maxSkills, "skills")
            var skills: [QueueID] = []
            skills.reserveCapacity(min(count, r.remaining / 4))
            for _ in 0..<count { skills.append(QueueID(try r.int32("skills"))) }
            let capacity = Capacity(chat: try r.int("capacity.chat"), voice: try r.int("capacity.voice"))
            self = .addAgent(AgentProfile(handle: handle, displayName: displayName, skills: skills, capacity: capacity))
        case 2:
            let agent = AgentID(try r.int32("agent"))
            self = .setStatus(agent, try AgentStatus(byte: try r.byte("status")))
        case 3: self = .agentDisconnected(AgentID(try r.int32("agent")))
        case 4: self = .agentReconnected(AgentID(try r.int32("agent")))
        case 5, 6:
            let offer = OfferID(try r.uint64("offer"))
            let agent = AgentID(try r.int32("agent"))
            self = tag == 5 ? .acceptOffer(offer, by: agent) : .declineOffer(offer, by: agent)
        case 7, 8:
            let conversation = ConversationID(try r.uint64("conversation"))
            let agent = AgentID(try r.int32("agent"))
            self = tag == 7 ? .agentReplied(in: conversation, by: agent) : .endConversation(conversation, by: agent)
        case 9:
            let conversation = ConversationID(try r.uint64("conversation"))
            let target: TransferTarget
            switch try r.byte("target") {
            case 0: target = .queue(QueueID(try r.int32("target.queue")))
            case 1: target = .agent(AgentID(try r.int32("target.agent")))
            case let other: throw .invalidValue(field: "target", value: other)
            }
            self = .transfer(conversation, to: target, by: AgentID(try r.int32("agent")))
        case 10: self = .customerArrives(try ContactRequest(from: &r))
        case 11:
            let contact = ContactID(try r.uint64("contact"))
            self = .resolveWithFAQ(contact, entryID: try r.optionalString(limit: LoggedCommand.maxFieldBytes, "entryID"))
        case 12: self = .continueAfterFAQ(ContactID(try r.uint64("contact")))
        case 13:
            let contact = ContactID(try r.uint64("contact"))
            self = .leaveMessage(after: contact, text: try r.string(limit: LoggedCommand.maxTextBytes, "text"))
        case 14:
            let request = try ContactRequest(from: &r)
            self = .restoreMessage(request, text: try r.string(limit: LoggedCommand.maxTextBytes, "text"))
        case 15: self = .customerLeaves(ContactID(try r.uint64("contact")))
        case 16: self = .customerDisconnected(ContactID(try r.uint64("contact")))
        case 17: self = .customerReconnected(ContactID(try r.uint64("contact")))
        case 18:
            let conversation = ConversationID(try r.uint64("conversation"))
            let contact = ContactID(try r.uint64("contact"))
            let score = try r.int("score")
            let comment = try r.optionalString(limit: LoggedCommand.maxCommentBytes, "comment")
            self = .rate(conversation, by: contact, score: score, comment: comment)
        case 19: self = .fireDueTimers
        case 20:
            let contact = ContactID(try r.uint64("contact"))
            let text = try r.string(limit: LoggedCommand.maxTextBytes, "text")
            self = .leaveMessage(after: contact, text: text, replyTo: try r.string(limit: LoggedCommand.maxFieldBytes, "replyTo"))
        default: throw .unknownCommand(tag)
        }
    }
}

extension ContactRequest {
    func encode(into w: inout CommandLogWriter) throws(CommandLogError) {
        w.int32(queue.rawValue)
        w.byte(channel.byte)
        w.byte(language.byte)
        try w.string(preChat.customerName, limit: LoggedCommand.maxFieldBytes, field: "preChat.customerName")
        try w.string(preChat.orderNumber, limit: LoggedCommand.maxFieldBytes, field: "preChat.orderNumber")
        try w.string(preChat.product, limit: LoggedCommand.maxFieldBytes, field: "preChat.product")
        try w.string(preChat.firstMessage, limit: LoggedCommand.maxTextBytes, field: "preChat.firstMessage")
    }

    init(from r: inout CommandLogReader) throws(CommandLogError) {
        let queue = QueueID(try r.int32("queue"))
        let channel = try Channel(byte: try r.byte("channel"))
        let language = try Language(byte: try r.byte("language"))
        let preChat = PreChat(
            customerName: try r.string(limit: LoggedCommand.maxFieldBytes, "preChat.customerName"),
            orderNumber: try r.string(limit: LoggedCommand.maxFieldBytes, "preChat.orderNumber"),
            product: try r.string(limit: LoggedCommand.maxFieldBytes, "preChat.product"),
            firstMessage: try r.string(limit: LoggedCommand.maxTextBytes, "preChat.firstMessage"))
        self.init(queue: queue, channel: channel, language: language, preChat: preChat)
    }
}

// The enumeration tables of the byte form.

extension AgentStatus {
    var byte: UInt8 {
        switch self {
        case .available: 0
        case .away: 1
        case .offline: 2
        }
    }

    init(byte: UInt8) throws(CommandLogError) {
        switch byte {
        case 0: self = .available
        case 1: self = .away
        case 2: self = .offline
        default: throw .invalidValue(field: "status", value: byte)
        }
    }
}

extension Channel {
    var byte: UInt8 {
        switch self {
        case .chat: 0
        case .voice: 1
        case .email: 2
        case .faq: 3
        }
    }

    /// `.faq` included: the engine refuses it (`invalid_channel`), and that refusal
    /// must replay too.
    init(byte: UInt8) throws(CommandLogError) {
        switch byte {
        case 0: self = .chat
        case 1: self = .voice
        case 2: self = .email
        case 3: self = .faq
        default: throw .invalidValue(field: "channel", value: byte)
        }
    }
}

extension Language {
    var byte: UInt8 {
        switch self {
        case .ko: 0
        case .en: 1
        }
    }

    init(byte: UInt8) throws(CommandLogError) {
        switch byte {
        case 0: self = .ko
        case 1: self = .en
        default: throw .invalidValue(field: "language", value: byte)
        }
    }
}
