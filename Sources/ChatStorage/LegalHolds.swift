import Posix

/// Conversations under legal hold (protocol/storage.md, "Retention"): the file `holds`
/// in the transcript directory, one conversation wire id (`c-BOOT-N`) a line, written
/// by `switchboard hold` (with or without the broker running) and read by the store
/// about once a second. No segment holding a held conversation's records, nor any newer
/// one, is purged. Stateless helpers; the file is the state.
public enum LegalHolds {
    public static let fileName = "holds"

    /// The held conversations (an absent file: none). Lines that are not wire ids are
    /// skipped (a hand edit must not make the broker fail).
    public static func read(directory: String) -> Set<TranscriptKey> {
        guard let bytes = try? File.readWhole(directory + "/" + fileName, limit: 16 << 20) else { return [] }
        var keys = Set<TranscriptKey>()
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            if let key = key(line.trimmingSpaces) { keys.insert(key) }
        }
        return keys
    }

    /// Adds or releases a hold; returns the holds after. Written to a temporary file,
    /// synced and renamed, so a reader sees the old list or the new one.
    @discardableResult
    public static func set(_ key: TranscriptKey, held: Bool, directory: String) throws(PosixError) -> Set<TranscriptKey> {
        var keys = read(directory: directory)
        if held { keys.insert(key) } else { keys.remove(key) }
        let text = keys.map(wire).sorted().map { $0 + "\n" }.joined()
        let temporary = directory + "/" + fileName + ".new"
        let fd = try File.open(temporary, write: true, create: true)
        do {
            try File.truncate(fd, to: 0)
            try File.write(fd, Array(text.utf8), at: 0)
            try File.syncData(fd)
        } catch {
            File.close(fd)
            throw error
        }
        File.close(fd)
        try File.rename(temporary, to: directory + "/" + fileName)
        return keys
    }

    public static func wire(_ key: TranscriptKey) -> String { "c-\(key.boot)-\(key.number)" }

    /// `c-BOOT-N` to its key.
    public static func key(_ text: some StringProtocol) -> TranscriptKey? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "c", let boot = UInt32(parts[1]), let number = UInt64(parts[2]) else { return nil }
        return TranscriptKey(boot: boot, number: number)
    }

    /// The oldest segment holding a record of any held conversation (`.max`: none).
    static func floor(_ holds: Set<TranscriptKey>, index: RecordIndex) -> UInt64 {
        var floor = UInt64.max
        for key in holds {
            guard let first = index.firstSeq(of: key) else { continue }
            var seq = first
            let last = index.lastSeq(of: key)
            while seq <= last {
                if let location = index.location(of: key, seq: seq) {
                    floor = min(floor, location.segment)
                    break
                }
                seq += 1
            }
        }
        return floor
    }
}

extension StringProtocol {
    var trimmingSpaces: SubSequence {
        var s = self[...]
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return s
    }
}
