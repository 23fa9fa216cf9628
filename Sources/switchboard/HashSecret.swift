#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ChatServer
import Posix

/// `switchboard hash-secret`: reads an agent's or supervisor's secret from standard
/// input and prints the hash to put in the configuration file (`secret = "…"`).
struct HashSecret: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-secret",
        abstract: "Print the configuration-file hash of a secret read from standard input.",
        discussion: """
        Reads the secret from standard input: on a terminal it asks for it and does not echo what \
        you type; from a pipe it takes the first line (a trailing newline is dropped, so \
        `echo 'secret' | switchboard hash-secret` works). Prints pbkdf2-sha256$ITERATIONS$SALT$HASH \
        with a fresh random salt. The secret is never printed or stored.
        """
    )

    @Option(help: "PBKDF2-HMAC-SHA256 iterations (at least 1000; more is slower to guess and slower to sign in).")
    var iterations = SecretHash.defaultIterations

    func validate() throws {
        guard (SecretHash.minimumIterations...SecretHash.maximumIterations).contains(iterations) else {
            throw ValidationError("--iterations must be from \(SecretHash.minimumIterations) to \(SecretHash.maximumIterations)")
        }
    }

    mutating func run() throws {
        guard let line = Terminal.readSecret(prompt: "Secret (not shown): ") else {
            throw ValidationError("no secret on standard input")
        }
        let secret = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard !secret.isEmpty else { throw ValidationError("the secret is empty") }
        guard secret.unicodeScalars.count <= 1024, !secret.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ValidationError("a secret is one line of at most 1024 characters without control characters")
        }
        print(SecretHash(hashing: secret, iterations: iterations).encoded)
    }
}
