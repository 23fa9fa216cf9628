#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address; a value, safe to pass between threads.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    enum Storage: Hashable {
        case v4(addr: UInt32, port: UInt16)
        case v6(addr: [UInt8], port: UInt16)
    }
    let storage: Storage

    /// Parses a numeric address ("127.0.0.1", "::1"); "localhost" means 127.0.0.1.
    public init(host: String, port: UInt16) throws {
        let host = host == "localhost" ? "127.0.0.1" : host
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            storage = .v4(addr: v4.s_addr, port: port)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            storage = .v6(addr: bytes, port: port)
            return
        }
        throw PosixError(errno: EINVAL, function: "inet_pton")
    }

    init(storage raw: sockaddr_storage) {
        var raw = raw
        if raw.ss_family == sa_family_t(AF_INET6) {
            let (bytes, port) = withUnsafePointer(to: &raw) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var address = sin6.pointee.sin6_addr
                    return (withUnsafeBytes(of: &address) { Array($0) }, UInt16(bigEndian: sin6.pointee.sin6_port))
                }
            }
            storage = .v6(addr: bytes, port: port)
        } else {
            let (address, port) = withUnsafePointer(to: &raw) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    ($0.pointee.sin_addr.s_addr, UInt16(bigEndian: $0.pointee.sin_port))
                }
            }
            storage = .v4(addr: address, port: port)
        }
    }

    var family: Int32 {
        switch storage {
        case .v4: return AF_INET
        case .v6: return AF_INET6
        }
    }

    public var port: UInt16 {
        switch storage {
        case .v4(_, let port), .v6(_, let port): return port
        }
    }

    /// The address without the port, as a key for per-address limits.
    public var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch storage {
        case .v4(var addr, _):
            inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
        case .v6(let bytes, _):
            var addr = in6_addr()
            withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
            inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String {
        switch storage {
        case .v4: return "\(host):\(port)"
        case .v6: return "[\(host)]:\(port)"
        }
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        switch storage {
        case .v4(let addr, let port):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = addr
            return try withUnsafePointer(to: &sin) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let bytes, let port):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: bytes) }
            return try withUnsafePointer(to: &sin6) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }
}
