import Testing
import ChatCore

/// The command log's byte form: every command survives encode → decode exactly, and
/// anything that is not a whole, valid entry is refused with a reason.
struct LoggedCommandCodingTests {
    static let request = ContactRequest(
        queue: QueueID(2), channel: .voice, language: .en,
        preChat: PreChat(customerName: "김민지", orderNumber: "2025-0042", product: "운동화 👟",
                         firstMessage: "배송이 언제 와요?\n줄바꿈도"))

    /// One entry per command, with every enumeration value and optional both ways.
    static let examples: [CenterCommand] = [
        .addAgent(AgentProfile(handle: "kim", displayName: "김상담", skills: [QueueID(0), QueueID(3), QueueID(0)],
                               capacity: Capacity(chat: 4, voice: 0))),
        .addAgent(AgentProfile(handle: "", displayName: "", skills: [], capacity: Capacity(chat: -1, voice: 7))),
        .setStatus(AgentID(1), .available), .setStatus(AgentID(2), .away), .setStatus(AgentID(Int32.max), .offline),
        .agentDisconnected(AgentID(-1)), .agentReconnected(AgentID(0)),
        .acceptOffer(OfferID(1), by: AgentID(3)), .declineOffer(OfferID(UInt64.max), by: AgentID(4)),
        .agentReplied(in: ConversationID(0x1_0000_0002), by: AgentID(5)),
        .endConversation(ConversationID(7), by: AgentID(6)),
        .transfer(ConversationID(8), to: .queue(QueueID(1)), by: AgentID(7)),
        .transfer(ConversationID(9), to: .agent(AgentID(2)), by: AgentID(8)),
        .customerArrives(request),
        .customerArrives(ContactRequest(queue: QueueID(-5), channel: .faq)),
        .customerArrives(ContactRequest(queue: QueueID(0), channel: .chat, language: .ko)),
        .customerArrives(ContactRequest(queue: QueueID(0), channel: .email, preChat: PreChat(firstMessage: "메일"))),
        .resolveWithFAQ(ContactID(10), entryID: nil), .resolveWithFAQ(ContactID(11), entryID: "delivery-time"),
        .resolveWithFAQ(ContactID(12), entryID: ""),
        .continueAfterFAQ(ContactID(13)),
        .leaveMessage(after: ContactID(14), text: "전화 주세요"),
        .leaveMessage(after: ContactID(15), text: "문자 주세요", replyTo: "010-1234-5678"),
        .restoreMessage(request, text: ""),
        .customerLeaves(ContactID(15)), .customerDisconnected(ContactID(16)), .customerReconnected(ContactID(17)),
        .rate(ConversationID(18), by: ContactID(19), score: 5, comment: nil),
        .rate(ConversationID(20), by: ContactID(21), score: Int.min, comment: "친절했어요 👍"),
        .fireDueTimers,
    ]

    static func entry(_ command: CenterCommand, at: Int64 = 1_736_380_800_123, wall: Int64 = 1_736_380_800_456) -> LoggedCommand {
        LoggedCommand(at: Instant(milliseconds: at), wall: WallTime(millisecondsSince1970: wall), command: command)
    }

    @Test(arguments: examples)
    func everyCommandSurvivesARoundTripExactly(command: CenterCommand) throws {
        let entry = Self.entry(command)
        let bytes = try entry.encoded()
        let decoded = try LoggedCommand(decoding: bytes)
        #expect(decoded == entry)
        #expect(try decoded.encoded() == bytes)
    }

    @Test func timesAtTheEndsOfTheirRangeSurvive() throws {
        for ms in [LoggedCommand.timeRange.lowerBound, LoggedCommand.timeRange.upperBound] {
            let entry = Self.entry(.fireDueTimers, at: ms, wall: ms)
            #expect(try LoggedCommand(decoding: try entry.encoded()) == entry)
        }
    }

    @Test func stringsExactlyAtTheirLimitsSurvive() throws {
        let text = String(repeating: "가", count: LoggedCommand.maxTextBytes / 3) + "a"  // 3 bytes each, plus one
        #expect(text.utf8.count == LoggedCommand.maxTextBytes)
        let comment = String(repeating: "x", count: LoggedCommand.maxCommentBytes)
        let field = String(repeating: "y", count: LoggedCommand.maxFieldBytes)
        for command in [CenterCommand.leaveMessage(after: ContactID(1), text: text),
                        .rate(ConversationID(1), by: ContactID(2), score: 3, comment: comment),
                        .addAgent(AgentProfile(handle: field, displayName: field,
                                               skills: Array(repeating: QueueID(1), count: LoggedCommand.maxSkills)))] {
            let entry = Self.entry(command)
            #expect(try LoggedCommand(decoding: try entry.encoded()) == entry)
        }
    }

    /// The format is fixed: these bytes must mean this entry in every later build.
    @Test func theByteFormIsPinned() throws {
        let entry = Self.entry(.setStatus(AgentID(258), .away), at: 0x0102_0304_0506, wall: 7)
        #expect(try entry.encoded() == [
            1,                                   // version
            0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,  // at
            0, 0, 0, 0, 0, 0, 0, 7,              // wall
            2,                                   // setStatus
            0, 0, 1, 2,                          // agent 258
            1,                                   // away
        ])
        let resolve = Self.entry(.resolveWithFAQ(ContactID(5), entryID: "é"), at: 0, wall: 0)
        #expect(try resolve.encoded() == [1] + Array(repeating: 0, count: 16) + [11, 0, 0, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 2, 0xC3, 0xA9])
    }

    // MARK: - Refusals

    @Test(arguments: examples)
    func everyProperPrefixIsRefusedAsTruncated(command: CenterCommand) throws {
        let bytes = try Self.entry(command).encoded()
        for length in 0..<bytes.count {
            #expect(throws: CommandLogError.self) { try LoggedCommand(decoding: Array(bytes.prefix(length))) }
            do {
                _ = try LoggedCommand(decoding: Array(bytes.prefix(length)))
            } catch {
                guard case .truncated = error else {
                    Issue.record("prefix \(length) of \(command): \(error)")
                    return
                }
            }
        }
    }

    @Test func bytesAfterTheEntryAreRefused() throws {
        let bytes = try Self.entry(.fireDueTimers).encoded()
        #expect(throws: CommandLogError.trailingBytes(count: 1)) { try LoggedCommand(decoding: bytes + [0]) }
        #expect(throws: CommandLogError.trailingBytes(count: 3)) { try LoggedCommand(decoding: bytes + [19, 19, 19]) }
    }

    @Test func anUnknownVersionIsRefused() throws {
        var bytes = try Self.entry(.fireDueTimers).encoded()
        for version: UInt8 in [0, 2, 255] {
            bytes[0] = version
            #expect(throws: CommandLogError.unsupportedVersion(version)) { try LoggedCommand(decoding: bytes) }
        }
    }

    @Test func anUnknownCommandTagIsRefused() throws {
        var bytes = try Self.entry(.fireDueTimers).encoded()
        for tag: UInt8 in [0, 21, 255] {
            bytes[17] = tag
            #expect(throws: CommandLogError.unknownCommand(tag)) { try LoggedCommand(decoding: bytes) }
        }
    }

    @Test func enumerationBytesOutOfRangeAreRefused() throws {
        // setStatus: the status is the last byte.
        var status = try Self.entry(.setStatus(AgentID(1), .offline)).encoded()
        status[status.count - 1] = 3
        #expect(throws: CommandLogError.invalidValue(field: "status", value: 3)) { try LoggedCommand(decoding: status) }
        // customerArrives: queue (4 bytes) after the tag, then channel, then language.
        var arrival = try Self.entry(.customerArrives(Self.request)).encoded()
        arrival[22] = 4
        #expect(throws: CommandLogError.invalidValue(field: "channel", value: 4)) { try LoggedCommand(decoding: arrival) }
        arrival[22] = 0
        arrival[23] = 2
        #expect(throws: CommandLogError.invalidValue(field: "language", value: 2)) { try LoggedCommand(decoding: arrival) }
        // transfer: the target's kind follows the conversation (8 bytes).
        var transfer = try Self.entry(.transfer(ConversationID(1), to: .queue(QueueID(0)), by: AgentID(0))).encoded()
        transfer[26] = 2
        #expect(throws: CommandLogError.invalidValue(field: "target", value: 2)) { try LoggedCommand(decoding: transfer) }
        // resolveWithFAQ: the presence byte follows the contact (8 bytes).
        var resolve = try Self.entry(.resolveWithFAQ(ContactID(1), entryID: nil)).encoded()
        resolve[26] = 2
        #expect(throws: CommandLogError.invalidValue(field: "entryID", value: 2)) { try LoggedCommand(decoding: resolve) }
    }

    @Test func badUTF8IsRefused() throws {
        let good = try Self.entry(.leaveMessage(after: ContactID(1), text: "abc")).encoded()
        for bad: [UInt8] in [[0x61, 0xFF, 0x62], [0xC0, 0xAF, 0x61], [0xED, 0xA0, 0x80], [0x61, 0x62, 0xC3]] {
            let bytes = Array(good.dropLast(3)) + bad  // same length, other bytes
            #expect(throws: CommandLogError.invalidUTF8(field: "text")) { try LoggedCommand(decoding: bytes) }
        }
    }

    @Test func stringsAndListsOverTheirLimitsAreRefusedBothWays() throws {
        let long = String(repeating: "a", count: LoggedCommand.maxTextBytes + 1)
        let entry = Self.entry(.leaveMessage(after: ContactID(1), text: long))
        let limit = CommandLogError.tooLong(field: "text", length: LoggedCommand.maxTextBytes + 1, limit: LoggedCommand.maxTextBytes)
        #expect(throws: limit) { try entry.encoded() }
        // The same bytes written by hand: the length alone is refused, before the text.
        let fits = try Self.entry(.leaveMessage(after: ContactID(1), text: "")).encoded()
        let count = UInt32(LoggedCommand.maxTextBytes + 1)
        let bytes = Array(fits.dropLast(4)) + [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        #expect(throws: limit) { try LoggedCommand(decoding: bytes) }

        let comment = Self.entry(.rate(ConversationID(1), by: ContactID(1), score: 1,
                                       comment: String(repeating: "b", count: LoggedCommand.maxCommentBytes + 1)))
        #expect(throws: CommandLogError.tooLong(field: "comment", length: LoggedCommand.maxCommentBytes + 1,
                                                limit: LoggedCommand.maxCommentBytes)) { try comment.encoded() }
        let handle = String(repeating: "c", count: LoggedCommand.maxFieldBytes + 1)
        let agent = Self.entry(.addAgent(AgentProfile(handle: handle, displayName: "", skills: [])))
        #expect(throws: CommandLogError.tooLong(field: "handle", length: LoggedCommand.maxFieldBytes + 1,
                                                limit: LoggedCommand.maxFieldBytes)) { try agent.encoded() }
        let skills = Self.entry(.addAgent(AgentProfile(handle: "h", displayName: "",
                                                       skills: Array(repeating: QueueID(0), count: LoggedCommand.maxSkills + 1))))
        #expect(throws: CommandLogError.tooLong(field: "skills", length: LoggedCommand.maxSkills + 1,
                                                limit: LoggedCommand.maxSkills)) { try skills.encoded() }
    }

    @Test func timesOutsideTheirRangeAreRefusedBothWays() throws {
        let early = Self.entry(.fireDueTimers, at: -1)
        #expect(throws: CommandLogError.timeOutOfRange(field: "at", milliseconds: -1)) { try early.encoded() }
        let late = Self.entry(.fireDueTimers, wall: 1 << 53)
        #expect(throws: CommandLogError.timeOutOfRange(field: "wall", milliseconds: 1 << 53)) { try late.encoded() }
        var bytes = try Self.entry(.fireDueTimers).encoded()
        bytes.replaceSubrange(1..<9, with: Array(repeating: 0xFF, count: 8))
        #expect(throws: CommandLogError.timeOutOfRange(field: "at", milliseconds: -1)) { try LoggedCommand(decoding: bytes) }
    }

    @Test func everyRefusalSaysWhy() {
        let errors: [CommandLogError] = [
            .unsupportedVersion(9), .truncated(field: "at"), .trailingBytes(count: 2), .unknownCommand(77),
            .invalidValue(field: "channel", value: 9), .invalidUTF8(field: "text"),
            .tooLong(field: "text", length: 20_000, limit: 16_000), .timeOutOfRange(field: "wall", milliseconds: -3),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("command log: "))
            #expect(!error.reason.isEmpty)
        }
        #expect(CommandLogError.truncated(field: "preChat.product").reason == "the entry ends inside preChat.product")
    }

    /// The fuzzer's seed entries (Tests/fuzz-corpus/commands) are valid entries.
    @Test func theFuzzSeedCorpusDecodes() throws {
        let directory = #filePath.split(separator: "/").dropLast(2).joined(separator: "/")
        let files = try FuzzCorpus.files(in: "/\(directory)/fuzz-corpus/commands")
        #expect(files.count >= 5)
        for (name, bytes) in files {
            let entry = try LoggedCommand(decoding: bytes)
            #expect(try entry.encoded() == bytes, "\(name)")
        }
    }
}
