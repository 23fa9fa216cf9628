/// One command as Redis expects it from a client: an array of bulk strings
/// (RESP2, "Sending commands to a Redis server"). Built once, written as is.
public struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
    /// The encoded request.
    public let bytes: [UInt8]
    /// The command's name (for logs and counters), upper-cased.
    public let name: String

    public init(_ name: String, _ arguments: [any RedisArgument] = []) {
        self.name = name.uppercased()
        var out: [UInt8] = []
        out.reserveCapacity(16 + name.utf8.count + arguments.count * 16)
        RESP.appendHeader(UInt8(ascii: "*"), 1 + arguments.count, to: &out)
        RESP.appendBulk(name.utf8, to: &out)
        for argument in arguments { argument.appendBulk(to: &out) }
        bytes = out
    }

    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments)
    }

    public var description: String { name }
}

/// A value that can stand as one argument of a command (one bulk string).
public protocol RedisArgument: Sendable {
    func appendBulk(to out: inout [UInt8])
}

extension String: RedisArgument {
    public func appendBulk(to out: inout [UInt8]) { RESP.appendBulk(utf8, to: &out) }
}

extension Array: RedisArgument where Element == UInt8 {
    public func appendBulk(to out: inout [UInt8]) { RESP.appendBulk(self, to: &out) }
}

extension Int: RedisArgument {
    public func appendBulk(to out: inout [UInt8]) {
        var digits: [UInt8] = []
        RESP.appendDecimal(Int64(self), to: &digits)
        RESP.appendBulk(digits, to: &out)
    }
}

extension Int64: RedisArgument {
    public func appendBulk(to out: inout [UInt8]) {
        var digits: [UInt8] = []
        RESP.appendDecimal(self, to: &digits)
        RESP.appendBulk(digits, to: &out)
    }
}
