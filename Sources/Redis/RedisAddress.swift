/// Where a Redis server is, from a `redis://` URL as the cluster option takes it:
/// `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (the scheme Redis's own clients use;
/// IANA's provisional registration). HOST is an IP address or `localhost`: the broker
/// resolves no names, so a DNS outage cannot stall a loop. TLS (`rediss://`) is not
/// supported yet, and says so.
public struct RedisAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: UInt16 = 6379
    public var user: String?
    public var password: String?
    public var database = 0

    public init(host: String, port: UInt16 = 6379, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses a URL; the error text says what is wrong with it, for the operator.
    public init(url: String) throws(RedisAddressError) {
        guard url.hasPrefix("redis://") else {
            if url.hasPrefix("rediss://") {
                throw RedisAddressError(url: url, reason: "TLS to Redis (rediss://) is not supported; use redis:// on a trusted network")
            }
            throw RedisAddressError(url: url, reason: "expected redis://HOST:PORT")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = credentials[..<colon].isEmpty ? nil : String(credentials[..<colon])
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                password = String(credentials)
            }
        }
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), (0...15).contains(number) else {
                    throw RedisAddressError(url: url, reason: "the database after / must be a number from 0 to 15")
                }
                database = number
            }
        }
        var hostPart = rest
        if rest.hasPrefix("[") {
            // An IPv6 literal: [::1]:6379
            guard let close = rest.firstIndex(of: "]") else {
                throw RedisAddressError(url: url, reason: "unclosed [ in the IPv6 address")
            }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
            if !rest.isEmpty && !rest.hasPrefix(":") {
                throw RedisAddressError(url: url, reason: "expected :PORT after the IPv6 address")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            rest = rest[colon...]
        } else {
            rest = ""
        }
        if rest.hasPrefix(":") {
            guard let number = UInt16(rest.dropFirst()), number > 0 else {
                throw RedisAddressError(url: url, reason: "the port must be a number from 1 to 65535")
            }
            port = number
        }
        guard !hostPart.isEmpty else { throw RedisAddressError(url: url, reason: "no host") }
        host = String(hostPart)
        guard host == "localhost" || Self.isIPAddress(host) else {
            throw RedisAddressError(url: url, reason: "the host must be an IP address or localhost (names are not resolved)")
        }
    }

    /// host:port, never the password (for logs and `/v1/cluster`).
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isIPAddress(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil && $0.count <= 3 }) { return true }
        // IPv6: hex digits and colons (inet_pton has the last word when connecting).
        return text.contains(":") && text.allSatisfy { $0 == ":" || $0 == "." || $0.isHexDigit }
    }
}

public struct RedisAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public let url: String
    public let reason: String
    public var description: String { "cannot use \(RedisAddressError.redacted(url)) as the Redis address: \(reason)" }

    /// The URL without its password.
    static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let colon = url.firstIndex(of: ":") else { return url }
        return url[...colon] + "//…@" + url[url.index(after: at)...]
    }
}
