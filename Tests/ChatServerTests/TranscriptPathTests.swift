import Testing
@testable import ChatServer

struct TranscriptPathTests {
    @Test func theThreeFormsOfTheTranscriptPathAreRecognised() {
        #expect(TranscriptPath.parse("/v1/conversations/c-1-5/transcript")?.conversation == "c-1-5")
        #expect(TranscriptPath.parse("/v1/conversations/c-1-5/transcript.txt")?.format == .text)
        #expect(TranscriptPath.parse("/v1/conversations/c-1-5/transcript.html")?.format == .html)
        for path in ["/v1/conversations/c-1-5", "/v1/conversations//transcript", "/v1/conversations/c-1-5/transcript.pdf",
                     "/v1/conversation/c-1-5/transcript", "/v1/conversations/c-1-5/transcript/x"] {
            #expect(TranscriptPath.parse(Substring(path)) == nil, "\(path)")
        }
    }

    @Test func basicAndBearerCredentialsAreRead() {
        // base64("lead.choi:s3:cret") — a colon in the secret belongs to the secret.
        #expect(TranscriptPath.credentials("Basic bGVhZC5jaG9pOnMzOmNyZXQ=") == .basic(login: "lead.choi", secret: "s3:cret"))
        #expect(TranscriptPath.credentials("basic  bGVhZC5jaG9pOnMzOmNyZXQ=") == .basic(login: "lead.choi", secret: "s3:cret"))
        #expect(TranscriptPath.credentials("Bearer abc_DEF-123") == .bearer("abc_DEF-123"))
        for header in [nil, "", "Basic", "Basic !!!", "Basic bm9jb2xvbg==", "Basic OnNlY3JldA==", "Digest x", "Bearer "] {
            #expect(TranscriptPath.credentials(header) == .missing, "\(String(describing: header))")
        }
    }

    /// Issue 15, item 8: with no allowlist the transcript answers reflected any `Origin`,
    /// `null` included, in Access-Control-Allow-Origin. Now an origin is granted only
    /// when a configured allowlist names it.
    @Test func noOriginIsGrantedWithoutAnAllowlist() {
        for origin in [nil, "https://evil.example", "null", "http://127.0.0.1:8080"] {
            #expect(TranscriptPath.corsHeaders(origin: origin, allowedOrigins: []).isEmpty, "\(String(describing: origin))")
        }
    }

    @Test func onlyAListedOriginIsGranted() {
        let listed = ["https://shop.example"]
        let granted = TranscriptPath.corsHeaders(origin: "https://shop.example", allowedOrigins: listed)
        #expect(granted.map(\.name) == ["Access-Control-Allow-Origin", "Vary"])
        #expect(granted.first?.value == "https://shop.example")
        for origin in [nil, "https://evil.example", "null", "https://shop.example.evil"] {
            let headers = TranscriptPath.corsHeaders(origin: origin, allowedOrigins: listed)
            #expect(!headers.contains { $0.name == "Access-Control-Allow-Origin" }, "\(String(describing: origin))")
        }
        #expect(TranscriptPath.corsHeaders(origin: "null", allowedOrigins: ["null"]).allSatisfy { $0.name != "Access-Control-Allow-Origin" })
    }
}
