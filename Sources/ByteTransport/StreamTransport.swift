import Posix
import TLS

/// A connected, nonblocking TCP socket, with TLS when a session is given: plaintext
/// bytes in and out, and whether OpenSSL needs the socket writable before a read can
/// go on. Shared by the server's connections and the load tester's clients, so that
/// the two read and write the same way. A value owned by one connection on its loop
/// thread; the TLS session inside is that connection's too.
public struct StreamTransport {
    public let fd: Int32
    public let tls: TLSSession?
    /// OpenSSL asked for a writable socket (renegotiation, a handshake step) before it
    /// can read on: add write interest until the next writable event.
    public var tlsWantsWrite = false

    /// What one read gave.
    public enum ReadResult: Equatable {
        /// This many plaintext bytes are at the start of the buffer (at least 1).
        case bytes(Int)
        /// Nothing ready now; wait for epoll.
        case wouldBlock
        /// The peer closed the stream (FIN, or TLS close_notify).
        case endOfStream
        /// The connection is unusable; the text is for the log.
        case failed(String)
    }

    /// What one write gave: the bytes the kernel took (0: would block), or a failure.
    public enum WriteResult: Equatable {
        case wrote(Int)
        case failed(String)
    }

    public init(fd: Int32, tls: TLSSession?) {
        self.fd = fd
        self.tls = tls
    }

    /// Whether the TLS handshake (if any) is complete.
    @inline(__always) public var isReady: Bool { tls?.handshakeDone ?? true }

    /// Whether OpenSSL holds decrypted bytes epoll cannot see: read on while it does.
    @inline(__always) public var hasPendingData: Bool { tls?.hasPendingData == true }

    /// One read from the socket, or as many TLS records as fit `buffer`.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        guard let tls else {
            do {
                switch try Socket.read(fd, into: buffer) {
                case .wouldBlock: return .wouldBlock
                case .processed(let n): return n == 0 ? .endOfStream : .bytes(n)
                }
            } catch {
                return .failed("read: \(error)")
            }
        }
        let (count, stopped) = tls.readRecords(into: buffer)
        switch stopped {
        case .wantWrite:
            tlsWantsWrite = true
        case .closed where count == 0:
            return .endOfStream
        case .failed(let reason):
            return .failed("TLS: \(reason)")
        default:
            break
        }
        return count > 0 ? .bytes(count) : .wouldBlock
    }

    /// Sends as much of `bytes` as the socket takes, over TCP or TLS.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) -> WriteResult {
        guard let tls else {
            do {
                switch try Socket.send(fd, bytes) {
                case .wouldBlock: return .wrote(0)
                case .processed(let n): return .wrote(n)
                }
            } catch {
                return .failed("send: \(error)")
            }
        }
        switch tls.write(bytes) {
        case .done(let n): return .wrote(n)
        case .wantWrite, .wantRead: return .wrote(0)
        case .closed: return .failed("TLS closed while sending")
        case .failed(let reason): return .failed("TLS: \(reason)")
        }
    }

    /// Our side is done: TLS close_notify, then the FIN. The peer may still send.
    public func shutdownWrite() {
        tls?.shutdown()
        Socket.shutdownWrite(fd)
    }

    /// Releases the socket; `abort` sends RST (for peers we give up on).
    public func close(abort: Bool = false) {
        if abort { Socket.abortOnClose(fd) }
        Socket.close(fd)
    }
}
