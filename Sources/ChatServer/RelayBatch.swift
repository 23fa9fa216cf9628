/// What one node publishes on the relay's channel at the end of a loop iteration: the
/// events and notes of every conversation it wrote during the iteration, in the order it
/// wrote them (protocol/cluster.md, "Relay between nodes"). One `PUBLISH` carries them
/// all, so a busy node pays for the notification once per iteration, not once per
/// message.
///
/// Each entry: the conversation's wire id (a 2-byte big-endian length and its UTF-8),
/// then the event's frame (`ConversationRelay.frame`: a 4-byte big-endian length and
/// its bytes).
package struct RelayBatch {
    package init() {}

    package private(set) var bytes: [UInt8] = []
    package private(set) var count = 0

    /// A batch is sent once it is this large, even before the iteration ends.
    package static let flushSize = 256 * 1024

    package var isEmpty: Bool { count == 0 }

    package mutating func add(_ conversation: String, _ event: ConversationRelay.Event) {
        let id = conversation.utf8.prefix(Int(UInt16.max))
        withUnsafeBytes(of: UInt16(id.count).bigEndian) { bytes += $0 }
        bytes += id
        // The frame is written in place; its length goes before it once known.
        let lengthAt = bytes.count
        bytes += repeatElement(0, count: 4)
        ConversationRelay.frame(event, into: &bytes)
        let length = UInt32(truncatingIfNeeded: bytes.count - lengthAt - 4)
        for index in 0..<4 { bytes[lengthAt + index] = UInt8(truncatingIfNeeded: length >> (24 - 8 * index)) }
        count += 1
    }

    /// Takes the batch, leaving this one empty.
    package mutating func take() -> [UInt8] {
        defer { bytes = []; count = 0 }
        return bytes
    }

    /// The entries of a published batch, in order: each conversation's wire id and its
    /// frame, in place (a listener decodes only the frames of conversations it follows).
    /// Nil if any entry is cut short: nothing is handed on from a batch that is not whole
    /// (the gap is read from the streams later).
    package static func frames(of payload: [UInt8]) -> [(conversation: String, frame: ArraySlice<UInt8>)]? {
        var frames: [(conversation: String, frame: ArraySlice<UInt8>)] = []
        var at = 0
        while at < payload.count {
            guard payload.count - at >= 2 else { return nil }
            let idLength = Int(payload[at]) << 8 | Int(payload[at + 1])
            at += 2
            guard payload.count - at >= idLength + 4 else { return nil }
            let conversation = String(decoding: payload[at..<(at + idLength)], as: UTF8.self)
            at += idLength
            let frameLength = payload[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            at += 4
            guard payload.count - at >= frameLength else { return nil }
            frames.append((conversation, payload[at..<(at + frameLength)]))
            at += frameLength
        }
        return frames
    }

    /// Every entry decoded (tests, the fuzz target): nil if any entry is cut short or
    /// any frame does not decode.
    package static func entries(of payload: [UInt8]) -> [(conversation: String, event: ConversationRelay.Event)]? {
        guard let frames = frames(of: payload) else { return nil }
        var entries: [(conversation: String, event: ConversationRelay.Event)] = []
        for (conversation, frame) in frames {
            guard let event = ConversationRelay.unframe(frame) else { return nil }
            entries.append((conversation, event))
        }
        return entries
    }
}
