/// What a string field may hold: its length in Unicode code points (as JSON Schema's
/// `minLength`/`maxLength` count), its characters (the schema's `pattern`), and
/// whether it is free text (over-long free text is `text_too_long`, other strings
/// `invalid_field`; whitespace-only free text is `empty_message`). Constants only.
struct TextRule: Sendable {
    enum Characters: Sendable {
        /// `^[A-Za-z0-9._:@+-]*$`
        case identifier
        /// base64url: `^[A-Za-z0-9_-]*$`
        case sessionToken
        /// `^[A-Za-z0-9._~+/=-]*$`
        case staffToken
        /// `^[a-z_]*$` (an error's `field`)
        case fieldName
        /// No control character: not U+0000–U+001F nor U+007F.
        case singleLine
        /// Tab, line feed and carriage return allowed; no other control character.
        case multiLine
    }

    var minLength = 0
    var maxLength: Int
    var characters: Characters
    /// Over-long is `text_too_long` and whitespace-only `empty_message`.
    var isFreeText = false

    static let identifier = TextRule(minLength: 1, maxLength: ProtocolLimits.maxIdentifierLength, characters: .identifier)
    static let sessionToken = TextRule(minLength: 22, maxLength: 128, characters: .sessionToken)
    static let staffToken = TextRule(minLength: 16, maxLength: 4096, characters: .staffToken)
    static let secret = TextRule(minLength: 1, maxLength: 1024, characters: .singleLine)
    static let personName = TextRule(maxLength: ProtocolLimits.maxNameLength, characters: .singleLine)
    static let orderNumber = TextRule(maxLength: ProtocolLimits.maxOrderNumberLength, characters: .singleLine)
    static let product = TextRule(maxLength: ProtocolLimits.maxProductLength, characters: .singleLine)
    static let replyTo = TextRule(maxLength: ProtocolLimits.maxReplyToLength, characters: .singleLine)
    static let displayName = TextRule(minLength: 1, maxLength: 100, characters: .singleLine)
    /// An IANA zone name (`Europe/Berlin`) or an offset (`+09:00`).
    static let timeZone = TextRule(minLength: 1, maxLength: 64, characters: .singleLine)
    static let faqQuestion = TextRule(minLength: 1, maxLength: 500, characters: .singleLine)
    /// `erased.rewritten`: `seq:hex` pairs, comma-separated (storage.md, "Tamper evidence").
    static let rewrittenList = TextRule(maxLength: 1 << 19, characters: .singleLine)
    static let errorMessage = TextRule(minLength: 1, maxLength: 500, characters: .singleLine)
    static let errorField = TextRule(minLength: 1, maxLength: 64, characters: .fieldName)
    static let messageText = TextRule(minLength: 1, maxLength: ProtocolLimits.maxTextLength, characters: .multiLine, isFreeText: true)
    static let firstMessage = TextRule(maxLength: ProtocolLimits.maxTextLength, characters: .multiLine, isFreeText: true)
    static let cannedReply = TextRule(minLength: 1, maxLength: ProtocolLimits.maxCannedReplyLength, characters: .multiLine)
    static let comment = TextRule(maxLength: ProtocolLimits.maxCommentLength, characters: .multiLine, isFreeText: true)

    /// Checks `s` for field `field`; throws the code the README's order gives.
    func check(_ s: String, field: String) throws(ProtocolError) {
        var count = 0
        var badCharacter = false
        var blank = true
        // Over the UTF-8 bytes (a String's are valid): a scalar starts at every byte that
        // is not a continuation byte, and every character a rule may refuse is ASCII, so
        // only whitespace (while the text may still be blank) needs a scalar decoded.
        let nonASCIIAllowed = characters == .singleLine || characters == .multiLine
        var s = s
        s.withUTF8 { utf8 in
            var i = 0
            while i < utf8.count {
                let lead = utf8[i]
                count += 1
                if lead < 0x80 {
                    if !allows(UInt32(lead)) { badCharacter = true }
                    if blank && !TextRule.isWhiteSpace(UInt32(lead)) { blank = false }
                    i += 1
                    continue
                }
                let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                if !nonASCIIAllowed { badCharacter = true }
                if blank && !TextRule.isWhiteSpace(TextRule.scalar(utf8, at: i, length: length)) { blank = false }
                i += length
            }
        }
        if count > maxLength {
            if isFreeText {
                throw ProtocolError(.textTooLong, "'\(field)' is longer than \(maxLength) characters", field: field)
            }
            throw .invalid(field, "is longer than \(maxLength) characters")
        }
        if count < minLength {
            throw .invalid(field, minLength == 1 ? "must not be empty" : "is shorter than \(minLength) characters")
        }
        if badCharacter { throw .invalid(field, "contains a character it may not hold") }
        if isFreeText && count > 0 && blank {
            throw ProtocolError(.emptyMessage, "'\(field)' is only whitespace", field: field)
        }
    }

    private func allows(_ v: UInt32) -> Bool {
        switch characters {
        case .identifier:
            return TextRule.isAlphanumeric(v) || v == 0x2E || v == 0x5F || v == 0x3A || v == 0x40 || v == 0x2B || v == 0x2D
        case .sessionToken:
            return TextRule.isAlphanumeric(v) || v == 0x5F || v == 0x2D
        case .staffToken:
            return TextRule.isAlphanumeric(v) || v == 0x2E || v == 0x5F || v == 0x7E || v == 0x2B || v == 0x2F
                || v == 0x3D || v == 0x2D
        case .fieldName:
            return (0x61...0x7A).contains(v) || v == 0x5F
        case .singleLine:
            return v >= 0x20 && v != 0x7F
        case .multiLine:
            return (v >= 0x20 && v != 0x7F) || v == 0x09 || v == 0x0A || v == 0x0D
        }
    }

    /// The scalar of the valid UTF-8 sequence of `length` bytes at `i`.
    private static func scalar(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int, length: Int) -> UInt32 {
        var v = UInt32(utf8[i]) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length { v = v << 6 | UInt32(utf8[i + k] & 0x3F) }
        return v
    }

    private static func isAlphanumeric(_ v: UInt32) -> Bool {
        (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v)
    }

    /// Unicode's White_Space property (PropList.txt), spelled out so that the rule
    /// does not move with the standard library's Unicode version.
    static func isWhiteSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}
