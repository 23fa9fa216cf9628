/// The set of character bigrams of a text: the unit of FAQ matching.
///
/// Korean attaches particles to words (배송이, 배송은, 배송을), so comparing whole words
/// misses; comparing two-character pieces does not: all three contain 배송. The text
/// is lowercased and cut into words at every character that is neither a letter nor
/// a digit (punctuation and whitespace go); each word gives its adjacent pairs, and a
/// one-character word gives itself. Pairs are compared as Swift strings, that is by
/// canonical equivalence, so precomposed and decomposed Hangul match. A plain value.
public struct BigramSet: Hashable, Sendable {
    public private(set) var grams: Set<String>

    public init(_ text: String) {
        var grams = Set<String>()
        var previous: Character?
        var wordLength = 0
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                if let p = previous { grams.insert(String([p, character])) }
                previous = character
                wordLength += 1
            } else {
                if wordLength == 1, let p = previous { grams.insert(String(p)) }
                previous = nil
                wordLength = 0
            }
        }
        if wordLength == 1, let p = previous { grams.insert(String(p)) }
        self.grams = grams
    }

    public var isEmpty: Bool { grams.isEmpty }
    public var count: Int { grams.count }

    /// Sørensen–Dice similarity: 2|A ∩ B| / (|A| + |B|), from 0 (nothing shared) to 1.
    public func dice(_ other: BigramSet) -> Double {
        let total = grams.count + other.grams.count
        guard total > 0 else { return 0 }
        return Double(2 * sharedCount(other)) / Double(total)
    }

    /// True when every bigram of `other` is in this set (and `other` is not empty).
    public func contains(allOf other: BigramSet) -> Bool {
        !other.grams.isEmpty && other.grams.isSubset(of: grams)
    }

    func sharedCount(_ other: BigramSet) -> Int {
        let (small, large) = grams.count <= other.grams.count ? (grams, other.grams) : (other.grams, grams)
        var shared = 0
        for g in small where large.contains(g) { shared += 1 }
        return shared
    }
}
