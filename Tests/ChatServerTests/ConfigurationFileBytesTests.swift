#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ChatServer

/// `ConfigurationFile.load` on the bytes of real files: what is not a TOML text at all
/// (a NUL, other control bytes, a bare CR, invalid UTF-8, a directory) stops the start
/// with the line and column, and CRLF files point at the same lines as LF files.
struct ConfigurationFileBytesTests {
    /// A file holding exactly `bytes` in a fresh temporary directory, removed after `body`.
    func withFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
        var template = Array("/tmp/switchboard-config-XXXXXX".utf8CString)
        let directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        let path = directory + "/switchboard.toml"
        let file = try #require(fopen(path, "wb"))
        #expect(fwrite(bytes, 1, bytes.count, file) == bytes.count)
        fclose(file)
        defer { unlink(path); rmdir(directory) }
        return try body(path)
    }

    func loadFailure(_ bytes: [UInt8]) throws -> ConfigurationError? {
        try withFile(bytes) { path -> ConfigurationError? in
            do throws(ConfigurationError) {
                _ = try ConfigurationFile.load(path: path)
                return nil
            } catch {
                return error
            }
        }
    }

    /// Issue 15, item 6: a NUL byte ended parsing silently — the TOML reader stops at
    /// the first NUL, so an `allowed_origins` after it was never read, the broker started
    /// with no allowlist and a forbidden origin got 101. TOML allows no raw control
    /// character but tab, and a NUL anywhere is refused with its line and column.
    @Test func aNULByteIsRefusedWithItsLineAndColumnNotTheEndOfTheFile() throws {
        let text = "[security]\n# shops\0\nallowed_origins = [\"https://shop.example\"]\n"
        let error = try #require(try loadFailure(Array(text.utf8)))
        #expect(error.line == 2)
        #expect(error.description.hasPrefix("line 2, column 8: "))
        #expect(error.reason.contains("U+0000"))
    }

    @Test(arguments: [
        ("a NUL inside a string", "a = \"x\0y\"\n", 1),
        ("a bell in a comment", "[limits]\n# ding \u{7}\n", 2),
        ("an escape byte in a key", "[limits]\nmax\u{1B}x = 1\n", 2),
        ("DEL after a value", "[limits]\nmax_text_length = 10\u{7F}\n", 2),
        ("a bare CR ending a line", "[limits]\rmax_text_length = 10\n", 1),
    ])
    func aControlByteTOMLForbidsIsRefusedWithItsLine(_ reason: String, _ text: String, _ line: Int) throws {
        let error = try #require(try loadFailure(Array(text.utf8)), "\(reason)")
        #expect(error.line == line, "\(reason)")
        #expect(error.description.contains("column"), "\(reason)")
    }

    @Test func tabsAndCRLFLineEndsAreText() throws {
        let configuration = try withFile(Array("[limits]\r\n\tmax_text_length = 10\t# ten\r\n".utf8)) {
            try ConfigurationFile.load(path: $0)
        }
        #expect(configuration.center.maxMessageLength == 10)
    }

    /// Issue 15, item 6: a CRLF file reported its errors on the wrong line or none
    /// (the line finder split on "\n", which Swift never sees inside a "\r\n" grapheme,
    /// so the whole file was line 1). Every kind of error names the same line as in LF.
    @Test func aCRLFFileNamesTheSameLinesAsAnLFFile() throws {
        let hash = SecretHash(hashing: "s3cret", iterations: 1_000).encoded
        let files = [
            ("[limits]\nmax_text_length = 10\nmax_txet_length = 20\n", 3),
            ("\n[grace]\ncustomer_seconds = \"a minute\"\n", 3),
            ("[limits]\nmax_text_length = 10\nbroken = \n", 3),
            ("[[agents]]\nhandle = \"a\"\nsecret = \"\(hash)\"\n\n[[agents]]\nhandle = \"b\"\nskills = [\"orders\", \"shipping\"]\nsecret = \"\(hash)\"\n", 7),
            ("[[queues]]\nkey = \"q\"\n[[queues]]\nkey = \"q\"\n", 4),
        ]
        for (text, line) in files {
            let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
            #expect(try loadFailure(Array(text.utf8))?.line == line, "LF: \(text)")
            #expect(try loadFailure(Array(crlf.utf8))?.line == line, "CRLF: \(text)")
            #expect(try loadFailure(Array(crlf.utf8))?.key == (try loadFailure(Array(text.utf8))?.key), "CRLF: \(text)")
        }
    }

    /// Issue 15, item 6: invalid UTF-8 was refused as "not UTF-8 text" with no line, in a
    /// file of any length. It now names the line and the column (in characters, as TOML
    /// syntax errors count them) of the first sequence that is not UTF-8.
    @Test(arguments: [
        ("a lone continuation byte", [0x80]),
        ("a truncated sequence", [0xEA, 0xB0]),
        ("an overlong encoding", [0xC0, 0xAF]),
        ("a UTF-16 surrogate", [0xED, 0xA0, 0x80]),
        ("a byte never in UTF-8", [0xFF]),
    ] as [(String, [UInt8])])
    func invalidUTF8IsRefusedWithItsLineAndColumn(_ reason: String, _ bad: [UInt8]) throws {
        let bytes = Array("[[queues]]\nkey = \"orders\"\nname = \"주".utf8) + bad + Array("\"\n".utf8)
        let error = try #require(try loadFailure(bytes), "\(reason)")
        #expect(error.line == 3, "\(reason)")
        #expect(error.description.hasPrefix("line 3, column 10: "), "\(reason): \(error)")
        #expect(error.reason.contains("UTF-8"), "\(reason)")
    }

    /// Issue 15, item 6: a directory given as `--config` read as an empty file (fread
    /// fails with EISDIR, which was taken for the end), and the broker served on the
    /// defaults. A directory, or a read that fails, is refused.
    @Test func aDirectoryIsRefusedNotReadAsAnEmptyFile() throws {
        var template = Array("/tmp/switchboard-config-XXXXXX".utf8CString)
        let directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer { rmdir(directory) }
        var failure: ConfigurationError?
        do { _ = try ConfigurationFile.load(path: directory) } catch { failure = error }
        let error = try #require(failure)
        #expect(error.reason.contains("directory"))
    }

    @Test func aMissingFileIsRefusedWithTheReason() throws {
        var failure: ConfigurationError?
        do { _ = try ConfigurationFile.load(path: "/nonexistent/switchboard.toml") } catch { failure = error }
        #expect(try #require(failure).reason.contains("No such file"))
    }
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
