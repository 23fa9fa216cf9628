import COpenSSL

/// A staff secret as the configuration stores it: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2)
/// written `pbkdf2-sha256$ITERATIONS$SALT$HASH`, salt and hash in base64url. The
/// plain secret is never stored; `switchboard hash-secret` makes these.
///
/// Verifying costs `iterations` HMAC rounds on purpose, so it runs on the broker's
/// authentication thread, never on an I/O loop or the domain thread. A plain value.
package struct SecretHash: Hashable, Sendable, CustomStringConvertible {
    package static let scheme = "pbkdf2-sha256"
    /// What `hash-secret` uses unless told otherwise (OWASP 2023 suggests 600,000
    /// for SHA-256; this keeps a sign-in near 0.1 s on one core of this machine).
    package static let defaultIterations = 210_000
    /// Fewer rounds than this are refused when the configuration is read.
    package static let minimumIterations = 1_000
    package static let maximumIterations = 10_000_000
    static let saltBytes = 16
    static let hashBytes = 32

    package let iterations: Int
    package let salt: [UInt8]
    package let hash: [UInt8]

    /// Hashes `secret` with a fresh random salt.
    package init(hashing secret: String, iterations: Int = SecretHash.defaultIterations) {
        var generator = SystemRandomNumberGenerator()
        var salt = [UInt8](repeating: 0, count: SecretHash.saltBytes)
        for index in salt.indices { salt[index] = generator.next() }
        self.init(hashing: secret, salt: salt, iterations: iterations)
    }

    package init(hashing secret: String, salt: [UInt8], iterations: Int) {
        self.iterations = iterations
        self.salt = salt
        self.hash = SecretHash.derive(secret, salt: salt, iterations: iterations, length: SecretHash.hashBytes)
    }

    /// Reads the stored form; throws a reason for people when it is malformed.
    package init(parsing text: String) throws(SecretHash.FormatError) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == SecretHash.scheme else {
            throw FormatError("expected \(SecretHash.scheme)$ITERATIONS$SALT$HASH (make one with `switchboard hash-secret`)")
        }
        guard let iterations = Int(parts[1]), (SecretHash.minimumIterations...SecretHash.maximumIterations).contains(iterations) else {
            throw FormatError("iterations must be a whole number from \(SecretHash.minimumIterations) to \(SecretHash.maximumIterations)")
        }
        guard let salt = Base64URL.decode(String(parts[2])), salt.count >= 8 else {
            throw FormatError("the salt must be at least 8 bytes in base64url")
        }
        guard let hash = Base64URL.decode(String(parts[3])), hash.count == SecretHash.hashBytes else {
            throw FormatError("the hash must be \(SecretHash.hashBytes) bytes in base64url")
        }
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// Why a stored hash could not be read. A plain value.
    package struct FormatError: Error, Hashable, Sendable, CustomStringConvertible {
        package var reason: String
        init(_ reason: String) { self.reason = reason }
        package var description: String { reason }
    }

    package var encoded: String {
        "\(SecretHash.scheme)$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(hash))"
    }

    /// Never shows the hash itself.
    package var description: String { "\(SecretHash.scheme) (\(iterations) iterations)" }

    /// Whether `secret` is the one hashed; the comparison takes the same time wherever
    /// the first difference is.
    package func verify(_ secret: String) -> Bool {
        let candidate = SecretHash.derive(secret, salt: salt, iterations: iterations, length: hash.count)
        return SecretHash.constantTimeEqual(candidate, hash)
    }

    /// `verify`, made to cost `iterations` HMAC rounds in all when this hash has fewer:
    /// the rest are spent on a throwaway derivation, so how long a check takes says
    /// nothing about which account it was for (PBKDF2's cost is linear in its rounds).
    package func verify(_ secret: String, costing iterations: Int) -> Bool {
        let matches = verify(secret)
        SecretHash.spend(iterations - self.iterations, salt: salt)
        return matches
    }

    /// Burns `iterations` PBKDF2 rounds (none when not positive).
    package static func spend(_ iterations: Int, salt: [UInt8]) {
        guard iterations > 0 else { return }
        _ = derive("", salt: salt, iterations: iterations, length: hashBytes)
    }

    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0 }
        }
    }

    static func derive(_ secret: String, salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: length)
        let password = Array(secret.utf8)
        let ok = password.withUnsafeBufferPointer { p in
            salt.withUnsafeBufferPointer { s in
                output.withUnsafeMutableBufferPointer { o in
                    p.withMemoryRebound(to: CChar.self) { pc in
                        PKCS5_PBKDF2_HMAC(pc.baseAddress, Int32(pc.count), s.baseAddress, Int32(s.count),
                                          Int32(iterations), EVP_sha256(), Int32(length), o.baseAddress)
                    }
                }
            }
        }
        // PKCS5_PBKDF2_HMAC fails only on allocation failure or a NULL digest; either
        // would leave `output` zeroed, which matches no real hash.
        precondition(ok == 1, "PBKDF2 failed")
        return output
    }
}
