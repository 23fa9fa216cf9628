/// A language the product speaks. Korean first; English available. A plain value.
public enum Language: String, Codable, Hashable, Sendable, CaseIterable {
    case ko
    case en
}

/// One FAQ entry from the configuration: a question, its answer, the language they
/// are written in, and keywords (synonyms, product terms) that also point to it.
/// A plain value.
public struct FAQEntry: Hashable, Sendable {
    /// Stable name for the wire and the statistics (e.g. `delivery-time`).
    public var id: String
    public var question: String
    public var answer: String
    public var language: Language
    public var keywords: [String]

    public init(id: String, question: String, answer: String, language: Language = .ko, keywords: [String] = []) {
        self.id = id
        self.question = question
        self.answer = answer
        self.language = language
        self.keywords = keywords
    }
}

/// An FAQ answer offered to a customer, with how well it matched (0...1). A plain value.
public struct FAQMatch: Codable, Hashable, Sendable {
    public var entryID: String
    public var question: String
    public var answer: String
    public var score: Double

    public init(entryID: String, question: String, answer: String, score: Double) {
        self.entryID = entryID
        self.question = question
        self.answer = answer
        self.score = score
    }
}

/// The FAQ entries prepared for matching: each question's and keyword's bigrams are
/// computed once, when the engine starts.
///
/// Score of an entry for a message M (both as `BigramSet`s):
/// `0.7 × dice(M, question) + 0.3 × (1 if some keyword's bigrams all occur in M)`,
/// or just `dice(M, question)` for an entry with no keywords. Entries in the
/// customer's language whose score reaches the threshold are returned best first
/// (ties in configuration order). Owned by the engine; read on the domain thread.
package struct FAQIndex {
    private struct Prepared {
        var entry: FAQEntry
        var question: BigramSet
        var keywords: [BigramSet]
    }

    private let prepared: [Prepared]
    let threshold: Double
    let limit: Int

    package init(entries: [FAQEntry], threshold: Double, limit: Int) {
        prepared = entries.map {
            Prepared(entry: $0, question: BigramSet($0.question),
                     keywords: $0.keywords.map(BigramSet.init).filter { !$0.isEmpty })
        }
        self.threshold = threshold
        self.limit = limit
    }

    package var isEmpty: Bool { prepared.isEmpty }

    /// The best entries for `message`, at most `limit`, each scoring at least `threshold`.
    package func matches(for message: String, language: Language) -> [FAQMatch] {
        let grams = BigramSet(message)
        guard !grams.isEmpty, limit > 0 else { return [] }
        var found: [(score: Double, order: Int, match: FAQMatch)] = []
        for (order, p) in prepared.enumerated() where p.entry.language == language {
            let s = Self.score(grams, p.question, p.keywords)
            if s >= threshold {
                let m = FAQMatch(entryID: p.entry.id, question: p.entry.question, answer: p.entry.answer, score: s)
                found.append((s, order, m))
            }
        }
        found.sort { $0.score != $1.score ? $0.score > $1.score : $0.order < $1.order }
        return found.prefix(limit).map(\.match)
    }

    static func score(_ message: BigramSet, _ question: BigramSet, _ keywords: [BigramSet]) -> Double {
        let similarity = message.dice(question)
        guard !keywords.isEmpty else { return similarity }
        let keywordHit = keywords.contains { message.contains(allOf: $0) }
        return 0.7 * similarity + (keywordHit ? 0.3 : 0)
    }
}
