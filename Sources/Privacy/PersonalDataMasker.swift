/// Finds personal numbers in a message's text and overwrites them with `*` in place,
/// before the broker stores, relays, logs or exports anything (protocol/privacy.md).
/// Every replacement is one ASCII byte for one ASCII byte, so valid UTF-8 stays valid
/// and lengths never grow. Pure, no I/O; a plain value any thread may use.
///
/// Digits are read as runs separated by at most one space or hyphen ("4111 1111 1111
/// 1111", "900101-1234568"); every window of consecutive runs is tried, strictest
/// check first: resident number (date and check digit), card (Luhn), phone (Korean
/// prefixes), then — only after a keyword such as 계좌 — a bank account.
public struct PersonalDataMasker: Sendable {
    /// The kinds this masker hides (`[privacy]` in the configuration file).
    public var kinds: PersonalDataKinds

    public init(kinds: PersonalDataKinds = .all) {
        self.kinds = kinds
    }

    /// How many bytes before a digit run a bank keyword may stand.
    static let keywordReach = 40
    /// Words that announce an account number (UTF-8; ASCII ones match any case).
    static let accountKeywords: [[UInt8]] = ["계좌", "통장", "입금", "account", "acct", "a/c"].map { Array($0.utf8) }

    /// The masked text and the kinds found in it. A text without a digit or an `@`
    /// (most chat lines) is returned as it is, without copying.
    public func mask(_ text: String) -> (text: String, found: PersonalDataKinds) {
        guard !kinds.isEmpty, PersonalDataMasker.mayHold(text) else { return (text, PersonalDataKinds()) }
        var bytes = Array(text.utf8)
        let found = mask(&bytes)
        return found.isEmpty ? (text, found) : (String(decoding: bytes, as: UTF8.self), found)
    }

    static func mayHold(_ text: String) -> Bool {
        if let found = text.utf8.withContiguousStorageIfAvailable({ mayHold($0) }) { return found }
        return mayHold(Array(text.utf8).withUnsafeBufferPointer { $0 })
    }

    @inline(__always)
    static func mayHold(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b &- 0x30 < 10 || b == 0x40 { return true }
            i += 1
        }
        return false
    }

    /// Masks `bytes` (UTF-8) in place; returns the kinds found.
    public func mask(_ bytes: inout [UInt8]) -> PersonalDataKinds {
        var found = PersonalDataKinds()
        if kinds.contains(.email) { maskEmails(&bytes, found: &found) }
        // Masking can leave visible digits that join a neighbour into a new number
        // ("************1111 1234567890"); passes repeat until none is found, so the
        // result holds no number of a masked kind at all (each pass masks a digit).
        var scratch = Scratch()
        while true {
            var pass = PersonalDataKinds()
            maskDigitRuns(&bytes, scratch: &scratch, found: &pass)
            guard !pass.isEmpty else { break }
            found.formUnion(pass)
        }
        return found
    }

    // MARK: Digit runs

    /// A maximal run of ASCII digits: its byte range.
    struct Run {
        var start: Int
        var end: Int
        var count: Int { end - start }
    }

    private func maskDigitRuns(_ bytes: inout [UInt8], scratch: inout Scratch, found: inout PersonalDataKinds) {
        var runs: [Run] = []
        var i = 0
        let n = bytes.count
        // Groups: runs joined by single separators; each group is searched on its own.
        while i < n {
            guard isDigit(bytes[i]) else {
                i += 1
                continue
            }
            runs.removeAll(keepingCapacity: true)
            while true {
                let start = i
                while i < n && isDigit(bytes[i]) { i += 1 }
                runs.append(Run(start: start, end: i))
                guard i + 1 < n, bytes[i] == 0x20 || bytes[i] == 0x2D, isDigit(bytes[i + 1]) else { break }
                i += 1
            }
            maskGroup(runs, &bytes, scratch: &scratch, found: &found)
        }
    }

    /// Every run starts a candidate: a number found from a later run is masked even
    /// where an earlier, overlapping window also passed a check ("2024-05-01 4111…":
    /// a chance Luhn match over the date must not leave the real card visible).
    /// Overlaps only ever hide more.
    /// Buffers reused across the candidates of one message (no allocation per run).
    struct Scratch {
        var digits: [UInt8] = []
        var lengths: [Int] = []
        var counts: [Int] = []
        var matches: [(first: Int, last: Int, kind: PersonalDataKind)] = []
    }

    /// Every run starts a candidate: a number found from a later run is masked even
    /// where an earlier, overlapping window also passed a check ("2024-05-01 4111…":
    /// a chance Luhn match over the date must not leave the real card visible).
    /// Overlaps only ever hide more.
    private func maskGroup(_ runs: [Run], _ bytes: inout [UInt8], scratch: inout Scratch, found: inout PersonalDataKinds) {
        // Matched on the bytes as they came, then masked: a mask must not hide digits
        // from the check of a later candidate.
        scratch.matches.removeAll(keepingCapacity: true)
        for first in runs.indices {
            guard let (last, kind) = match(runs, from: first, bytes, &scratch), kinds.contains(kind) else { continue }
            scratch.matches.append((first, last, kind))
        }
        for m in scratch.matches {
            apply(m.kind, runs[m.first...m.last], &bytes)
            found.insert(m.kind)
        }
    }

    /// The longest window of runs from `first` that is a personal number, strictest
    /// kind first. Kinds switched off still claim their digits (so a card number is
    /// never half-masked as an account when cards are not masked).
    private func match(_ runs: [Run], from first: Int, _ bytes: [UInt8], _ s: inout Scratch) -> (last: Int, kind: PersonalDataKind)? {
        s.digits.removeAll(keepingCapacity: true)
        s.lengths.removeAll(keepingCapacity: true)
        s.counts.removeAll(keepingCapacity: true)
        for last in first..<runs.count {
            for p in runs[last].start..<runs[last].end { s.digits.append(bytes[p] &- 0x30) }
            s.lengths.append(runs[last].count)
            s.counts.append(s.digits.count)
            if s.digits.count > 20 { break }
        }
        // A run too short to start anything, alone and with its neighbours: skip fast.
        guard let longest = s.counts.last(where: { $0 <= 20 }), longest >= 8 else { return nil }
        // Resident number: 13 digits as one run or as 6 + 7.
        if s.counts[0] == 13 || (s.counts.count > 1 && s.lengths[0] == 6 && s.counts[1] == 13) {
            if CheckDigits.isResidentNumber(s.digits[0..<13]) { return (first + (s.counts[0] == 13 ? 0 : 1), .residentNumber) }
        }
        for w in s.counts.indices.reversed() where CheckDigits.isCardNumber(s.digits[0..<s.counts[w]]) {
            return (first + w, .cardNumber)
        }
        for w in s.counts.indices.prefix(3).reversed()
        where CheckDigits.isPhoneNumber(s.digits[0..<s.counts[w]], chunks: s.lengths[0...w]) {
            return (first + w, .phoneNumber)
        }
        if hasAccountKeyword(before: runs[first].start, bytes) {
            for w in s.counts.indices.reversed() where (8...20).contains(s.counts[w]) { return (first + w, .bankAccount) }
        }
        return nil
    }

    private func hasAccountKeyword(before start: Int, _ bytes: [UInt8]) -> Bool {
        let from = max(0, start - PersonalDataMasker.keywordReach)
        guard from < start else { return false }
        for keyword in PersonalDataMasker.accountKeywords where keyword.count <= start - from {
            var p = from
            while p + keyword.count <= start {
                var equal = true
                for k in 0..<keyword.count where lowercased(bytes[p + k]) != keyword[k] {
                    equal = false
                    break
                }
                if equal { return true }
                p += 1
            }
        }
        return false
    }

    /// Overwrites the digits that identify: all but the last four of cards and
    /// accounts, the last six of a resident number (`900101-1******`), the middle
    /// part of a phone number (`010-****-5678`).
    private func apply(_ kind: PersonalDataKind, _ runs: ArraySlice<Run>, _ bytes: inout [UInt8]) {
        var positions: [Int] = []
        for run in runs { positions.append(contentsOf: run.start..<run.end) }
        let hidden: Range<Int>
        switch kind {
        case .residentNumber: hidden = 7..<13
        case .cardNumber, .bankAccount: hidden = 0..<(positions.count - 4)
        case .phoneNumber:
            let prefix = runs.count > 1 ? runs.first!.count : (bytes[positions[1]] == 0x32 ? 2 : 3)
            hidden = prefix..<(positions.count - 4)
        case .email: return
        }
        for i in hidden { bytes[positions[i]] = 0x2A }
    }

    // MARK: E-mail

    /// `name@host.tld`: every character of the name but the first becomes `*`.
    private func maskEmails(_ bytes: inout [UInt8], found: inout PersonalDataKinds) {
        var at = 0
        while at < bytes.count {
            guard bytes[at] == 0x40 else {
                at += 1
                continue
            }
            var start = at
            while start > 0 && isLocalPart(bytes[start - 1]) { start -= 1 }
            var end = at + 1
            var dots = 0
            var lastDot = -1
            while end < bytes.count && (isAlnum(bytes[end]) || bytes[end] == 0x2D || bytes[end] == 0x2E) {
                if bytes[end] == 0x2E {
                    dots += 1
                    lastDot = end
                }
                end += 1
            }
            // The host ends in a dot-separated top-level name of two letters or more.
            while end > at + 1 && bytes[end - 1] == 0x2E { end -= 1 }
            let tld = lastDot >= 0 && lastDot < end ? end - lastDot - 1 : 0
            if start < at, dots > 0, tld >= 2, lastDot > at + 1 {
                for p in (start + 1)..<at { bytes[p] = 0x2A }
                if at - start == 1 { bytes[start] = 0x2A }
                found.insert(.email)
            }
            at = end
        }
    }

    private func isDigit(_ b: UInt8) -> Bool { (b &- 0x30) < 10 }
    private func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || ((b | 0x20) &- 0x61) < 26 }
    private func isLocalPart(_ b: UInt8) -> Bool {
        isAlnum(b) || b == 0x2E || b == 0x5F || b == 0x25 || b == 0x2B || b == 0x2D
    }
    private func lowercased(_ b: UInt8) -> UInt8 { ((b &- 0x41) < 26) ? b | 0x20 : b }
}
