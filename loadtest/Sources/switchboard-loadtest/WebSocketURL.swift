import ArgumentParser

/// A `ws://` or `wss://host:port/path` URL, restricted to loopback targets: this tool
/// generates load and must never aim it at another machine.
struct WebSocketURL: ExpressibleByArgument, CustomStringConvertible {
    let secure: Bool
    let host: String
    let port: UInt16
    let path: String

    init?(argument: String) {
        secure = argument.hasPrefix("wss://")
        guard secure || argument.hasPrefix("ws://") else { return nil }
        let rest = argument.dropFirst(secure ? 6 : 5)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard let colon = authority.lastIndex(of: ":"), let port = UInt16(authority[authority.index(after: colon)...]) else { return nil }
        var host = String(authority[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard host == "localhost" || host.hasPrefix("127.") || host == "::1" else { return nil }
        self.host = host
        self.port = port
        self.path = path.isEmpty ? "/" : String(path)
    }

    private init(secure: Bool, host: String, port: UInt16, path: String) {
        self.secure = secure
        self.host = host
        self.port = port
        self.path = path
    }

    /// The same server with another path (e.g. `/v1/ws/customer`).
    func with(path: String) -> WebSocketURL {
        WebSocketURL(secure: secure, host: host, port: port, path: path)
    }

    var description: String { "\(secure ? "wss" : "ws")://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)" }

    static var defaultValueDescription: String { "ws://127.0.0.1:9001/" }
}
