import Testing
@testable import ChatServer

struct SecretHashTests {
    @Test func aHashVerifiesItsOwnSecretOnly() throws {
        let hash = SecretHash(hashing: "correct horse battery staple", iterations: 1_000)
        #expect(hash.verify("correct horse battery staple"))
        #expect(!hash.verify("correct horse battery stapler"))
        #expect(!hash.verify(""))
    }

    @Test func theStoredFormRoundTrips() throws {
        let hash = SecretHash(hashing: "비밀번호", iterations: 1_234)
        let parsed = try SecretHash(parsing: hash.encoded)
        #expect(parsed == hash)
        #expect(parsed.verify("비밀번호"))
        #expect(hash.encoded.hasPrefix("pbkdf2-sha256$1234$"))
    }

    @Test func pbkdf2MatchesTheRFC7914TestVector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256 ("passwd", "salt", c = 1, dkLen = 64).
        let derived = SecretHash.derive("passwd", salt: Array("salt".utf8), iterations: 1, length: 64)
        let hex = derived.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(hex == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    @Test func aPaddedCheckGivesTheSameAnswer() {
        let hash = SecretHash(hashing: "s", iterations: 1_000)
        #expect(hash.verify("s", costing: 5_000))
        #expect(!hash.verify("t", costing: 5_000))
        #expect(hash.verify("s", costing: 10))  // never fewer rounds than its own
    }

    @Test func twoHashesOfOneSecretDifferBySalt() {
        let a = SecretHash(hashing: "s", iterations: 1_000)
        let b = SecretHash(hashing: "s", iterations: 1_000)
        #expect(a.salt != b.salt)
        #expect(a.hash != b.hash)
    }

    @Test func malformedStoredFormsAreRefusedWithAReason() {
        let good = SecretHash(hashing: "x", iterations: 1_000).encoded
        let parts = good.split(separator: "$").map(String.init)
        let bad = [
            "plain-secret",
            "sha1$1000$\(parts[2])$\(parts[3])",
            "pbkdf2-sha256$999$\(parts[2])$\(parts[3])",
            "pbkdf2-sha256$many$\(parts[2])$\(parts[3])",
            "pbkdf2-sha256$1000$!!$\(parts[3])",
            "pbkdf2-sha256$1000$\(parts[2])$AAAA",
            "pbkdf2-sha256$1000$\(parts[2])",
        ]
        for text in bad {
            #expect(throws: SecretHash.FormatError.self) { try SecretHash(parsing: text) }
        }
    }

    @Test func constantTimeCompareNeedsEqualLengthAndBytes() {
        #expect(SecretHash.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!SecretHash.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!SecretHash.constantTimeEqual([1, 2, 3], [1, 2]))
    }

    @Test func theDescriptionNeverShowsTheHash() {
        let hash = SecretHash(hashing: "x", iterations: 1_000)
        #expect(!hash.description.contains(Base64URL.encode(hash.hash)))
    }
}
