#if canImport(Glibc)
import Glibc
#endif

/// `GET path` over plain HTTP/1.1 to a loopback broker, blocking, with a 2-second
/// timeout: the body when the status is 200, else nil. Used between runs only (the
/// load is idle then), to read the broker's own figures (`/v1/stats`).
func httpGet(host: String, port: UInt16, path: String) -> String? {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { return nil }
    defer { freeaddrinfo(list) }
    let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while bytes.count < 16 << 20 {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 { bytes += chunk[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    guard text.hasPrefix("HTTP/1.1 200"), let split = text.range(of: "\r\n\r\n") else { return nil }
    let head = text[..<split.lowerBound].lowercased()
    var body = Substring(text[split.upperBound...])
    while let last = body.last, last == "\n" || last == "\r" || last == " " { body = body.dropLast() }
    // Chunked bodies are not expected from the broker; refuse rather than mis-read one.
    return head.contains("transfer-encoding: chunked") ? nil : String(body)
}
