import COpenSSL
import Posix

/// One TLS connection (an OpenSSL `SSL`) on a nonblocking socket. Owned by the
/// connection on its loop thread.
///
/// It uses a socket BIO (`SSL_set_fd`): OpenSSL reads and writes the fd itself, so
/// records go straight between the kernel and OpenSSL's buffers with no extra copy
/// through memory BIOs, and EAGAIN surfaces as WANT_READ / WANT_WRITE, which map onto
/// the loop's epoll interest. The cost is that the syscalls happen inside OpenSSL
/// rather than in our syscall layer; errno policy there is OpenSSL's.
public final class TLSSession {
    private let ssl: OpaquePointer
    public private(set) var handshakeDone = false
    /// After a fatal error OpenSSL forbids SSL_shutdown.
    private var broken = false

    /// What a nonblocking TLS call needs before it can go on.
    public enum Progress: Equatable {
        case done(Int)
        /// Wait until the socket is readable, then call again.
        case wantRead
        /// Wait until the socket is writable, then call again.
        case wantWrite
        /// The peer closed TLS cleanly (close_notify) or the TCP connection ended.
        case closed
        case failed(String)
    }

    public init(context: TLSContext, fd: Int32, isServer: Bool, serverName: String? = nil) throws(TLSError) {
        guard let ssl = SSL_new(context.pointer) else { throw TLSError("SSL_new failed") }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        if isServer {
            SSL_set_accept_state(ssl)
        } else {
            SSL_set_connect_state(ssl)
            if let serverName { _ = switchboard_tls_set_host_name(ssl, serverName) }
        }
    }

    deinit { SSL_free(ssl) }

    /// Drives the handshake; `.done(0)` once it is complete.
    public func handshake() -> Progress {
        if handshakeDone { return .done(0) }
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            handshakeDone = true
            return .done(0)
        }
        return progress(rc)
    }

    /// Decrypts into `buffer`; `.done(n)` with n > 0 bytes of plaintext.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Progress {
        let rc = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return rc > 0 ? .done(Int(rc)) : progress(rc)
    }

    /// Reads records into `buffer` until it is full or OpenSSL needs the socket:
    /// the plaintext byte count, and what stopped the reading (`.done` when the
    /// buffer filled).
    public func readRecords(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, stopped: Progress) {
        var total = 0
        while total < buffer.count {
            let progress = read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            guard case .done(let n) = progress else { return (total, progress) }
            total += n
        }
        return (total, .done(total))
    }

    /// Encrypts and sends as much of `bytes` as the socket takes; `.done(n)`.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) -> Progress {
        guard bytes.count > 0 else { return .done(0) }
        let rc = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        return rc > 0 ? .done(Int(rc)) : progress(rc)
    }

    /// Whether OpenSSL holds received bytes not yet returned by `read` (with read-ahead).
    public var hasPendingData: Bool { SSL_has_pending(ssl) == 1 }

    /// Sends close_notify (best effort; the TCP close follows).
    public func shutdown() {
        if handshakeDone && !broken { _ = SSL_shutdown(ssl) }
    }

    /// The ALPN protocol agreed, if any.
    public var alpn: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    private func progress(_ rc: Int32) -> Progress {
        let code = SSL_get_error(ssl, rc)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            broken = true
            var buffer = [CChar](repeating: 0, count: 256)
            switchboard_tls_last_error(&buffer, buffer.count)
            let detail = TLSContext.text(buffer)
            return detail.isEmpty ? .closed : .failed(detail)
        default:
            broken = true
            var buffer = [CChar](repeating: 0, count: 256)
            switchboard_tls_last_error(&buffer, buffer.count)
            return .failed(TLSContext.text(buffer).isEmpty ? "TLS error \(code)" : TLSContext.text(buffer))
        }
    }
}
