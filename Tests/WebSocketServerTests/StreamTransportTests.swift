#if canImport(Glibc)
import Glibc
#endif
import ByteTransport
import Posix
import Testing

/// The byte transport on a nonblocking socketpair (plain TCP semantics, no TLS): what
/// a read and a write report when bytes flow, when the kernel's buffer is full
/// (partial writes, would-block: where backpressure starts), and when the peer goes.
@Suite struct StreamTransportTests {
    /// Two connected nonblocking stream sockets; the first wrapped in a transport.
    static func pair(sendBuffer: Int32? = nil) -> (transport: StreamTransport, peer: Int32) {
        var fds: [Int32] = [0, 0]
        let rc = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds)
        precondition(rc == 0, "socketpair failed")
        if let sendBuffer {
            var size = sendBuffer
            setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        return (StreamTransport(fd: fds[0], tls: nil), fds[1])
    }

    static func readAll(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return out }
            out += chunk[0..<n]
        }
    }

    @Test func bytesWrittenArriveAndBytesSentAreRead() {
        var (transport, peer) = Self.pair()
        defer { transport.close(); Glibc.close(peer) }
        let hello: [UInt8] = Array("hello".utf8)
        #expect(hello.withUnsafeBytes { transport.write($0) } == .wrote(5))
        #expect(Self.readAll(peer) == hello)
        _ = hello.withUnsafeBytes { Glibc.write(peer, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let result = buffer.withUnsafeMutableBytes { transport.read(into: $0) }
        #expect(result == .bytes(5))
        #expect(Array(buffer[0..<5]) == hello)
    }

    @Test func readWithNothingReadyWouldBlock() {
        var (transport, peer) = Self.pair()
        defer { transport.close(); Glibc.close(peer) }
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(buffer.withUnsafeMutableBytes { transport.read(into: $0) } == .wouldBlock)
    }

    @Test func fullKernelBufferGivesAPartialWriteThenWouldBlock() {
        let (transport, peer) = Self.pair(sendBuffer: 4096)
        defer { transport.close(); Glibc.close(peer) }
        let big = [UInt8](repeating: 7, count: 4 * 1024 * 1024)
        guard case .wrote(let first) = big.withUnsafeBytes({ transport.write($0) }) else {
            Issue.record("the first write failed")
            return
        }
        #expect(first > 0 && first < big.count)
        // The peer reads nothing: the next write takes nothing (the caller queues it).
        #expect(big.withUnsafeBytes { transport.write(UnsafeRawBufferPointer(rebasing: $0[first...])) } == .wrote(0))
        // Once the peer reads, writing makes progress again, in order.
        let drained = Self.readAll(peer)
        #expect(drained.count == first)
        guard case .wrote(let second) = big.withUnsafeBytes({ transport.write(UnsafeRawBufferPointer(rebasing: $0[first...])) }) else {
            Issue.record("the second write failed")
            return
        }
        #expect(second > 0)
    }

    @Test func peerShuttingItsSideIsTheEndOfTheStream() {
        var (transport, peer) = Self.pair()
        defer { transport.close(); Glibc.close(peer) }
        shutdown(peer, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(buffer.withUnsafeMutableBytes { transport.read(into: $0) } == .endOfStream)
    }

    @Test func ourShutdownWriteLetsThePeerSeeTheEndWhileWeStillRead() {
        var (transport, peer) = Self.pair()
        defer { transport.close(); Glibc.close(peer) }
        transport.shutdownWrite()
        var byte: UInt8 = 0
        #expect(Glibc.read(peer, &byte, 1) == 0)
        _ = Glibc.write(peer, "x", 1)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(buffer.withUnsafeMutableBytes { transport.read(into: $0) } == .bytes(1))
    }

    @Test func writingToAPeerThatVanishedFailsWithoutSignal() {
        let (transport, peer) = Self.pair()
        defer { transport.close() }
        Glibc.close(peer)
        let bytes: [UInt8] = [1, 2, 3]
        guard case .failed(let reason) = bytes.withUnsafeBytes({ transport.write($0) }) else {
            Issue.record("a write to a closed peer did not fail")
            return
        }
        #expect(reason.contains("send"))
    }
}
