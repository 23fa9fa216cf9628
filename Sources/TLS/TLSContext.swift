import COpenSSL
import Posix
import Synchronization

/// Why TLS could not be set up or went wrong; the module's one error type.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An OpenSSL `SSL_CTX`: certificate, key and settings shared by many sessions.
/// Immutable once built, so any thread may start sessions from it; OpenSSL counts
/// references, and each session keeps its context alive.
public final class TLSContext: @unchecked Sendable {
    // @unchecked: SSL_CTX is thread-safe for creating sessions once configured, and
    // nothing here mutates it after init.
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) { self.pointer = pointer }

    deinit { SSL_CTX_free(pointer) }

    /// A server context from PEM files: the certificate chain (leaf first) and its key.
    public static func server(certificatePath: String, keyPath: String) throws(TLSError) -> TLSContext {
        var error = [CChar](repeating: 0, count: 256)
        guard let context = switchboard_tls_server_context(certificatePath, keyPath, &error, error.count) else {
            throw TLSError("\(certificatePath), \(keyPath): \(text(error))")
        }
        return TLSContext(pointer: context)
    }

    /// A client context; verifies against `caPath` when given.
    public static func client(caPath: String?) throws(TLSError) -> TLSContext {
        var error = [CChar](repeating: 0, count: 256)
        guard let context = switchboard_tls_client_context(caPath, &error, error.count) else {
            throw TLSError(text(error))
        }
        return TLSContext(pointer: context)
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The server's current certificate, replaceable at run time (SIGHUP): new connections
/// take the newest context; open ones keep the one they started with. Any thread.
public final class TLSCertificateStore: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let current: Mutex<TLSContext>

    public init(certificatePath: String, keyPath: String) throws(TLSError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try TLSContext.server(certificatePath: certificatePath, keyPath: keyPath))
    }

    public var context: TLSContext { current.withLock { $0 } }

    /// Loads the files again. On failure the old certificate stays in use and the
    /// error says why.
    public func reload() throws(TLSError) {
        let fresh = try TLSContext.server(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = fresh }
    }
}
