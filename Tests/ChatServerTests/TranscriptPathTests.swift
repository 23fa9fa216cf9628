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
}
