import Testing
@testable import ChatServer

struct SessionTokenTests {
    @Test func aTokenCarries192RandomBitsInBase64URL() throws {
        let token = SessionToken.make()
        #expect(token.utf8.count == 32)
        #expect(token.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        })
        let bytes = try #require(Base64URL.decode(token))
        #expect(bytes.count * 8 == 192)
    }

    @Test func tokensDoNotRepeat() {
        var seen = Set<String>()
        for _ in 0..<10_000 { seen.insert(SessionToken.make()) }
        #expect(seen.count == 10_000)
    }

    @Test func base64URLRoundTripsEveryLength() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 251) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.encode(Array("hello".utf8)) == "aGVsbG8")
        #expect(Base64URL.decode("aGVsbG8=") == nil)
        #expect(Base64URL.decode("a") == nil)
    }
}
