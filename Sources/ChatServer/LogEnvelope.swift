import ChatCore

/// One entry of the cluster's command log as its payload carries it: who asked (the
/// node instance and its request number, so the asker can answer its client and a
/// request sent twice is applied once) and the command. The time it takes effect is
/// not in here but in the log record, stamped by Redis (`CommandLog`); the command's own
/// times are written as 0. A plain value.
///
/// What an entry asks for: a command of the centre, or that every party connected
/// through a lost node instance be treated as disconnected (protocol/cluster.md, "A
/// node lost"), expanded by each replica into the commands for the parties that
/// instance holds at that place in the log.
package enum LogBody: Equatable {
    case command(CenterCommand)
    case instanceLost(String)
}

/// Bytes: a kind byte (1: a command, 2: an instance lost), the instance (2-byte length,
/// UTF-8, at most 200 bytes), the request number (8 bytes, big-endian), then for a
/// command `LoggedCommand`'s bytes, for a lost instance its name as the instance's.
package struct LogEnvelope: Equatable {
    package var instance: String
    package var request: UInt64
    package var body: LogBody

    package static let version: UInt8 = 1
    static let lostVersion: UInt8 = 2
    static let maxInstanceBytes = 200

    package init(instance: String, request: UInt64, body: LogBody) {
        self.instance = instance
        self.request = request
        self.body = body
    }

    package init(instance: String, request: UInt64, command: CenterCommand) {
        self.init(instance: instance, request: request, body: .command(command))
    }

    /// The centre's command, nil for a lost instance.
    package var command: CenterCommand? {
        if case .command(let command) = body { return command }
        return nil
    }

    package func encoded() throws(CommandLogError) -> [UInt8] {
        let name = Array(instance.utf8)
        guard name.count <= Self.maxInstanceBytes else {
            throw .tooLong(field: "instance", length: name.count, limit: Self.maxInstanceBytes)
        }
        switch body {
        case .command(let command):
            var out = Self.header(Self.version, name, request)
            out += try LoggedCommand(at: Instant(milliseconds: 0), wall: WallTime(millisecondsSince1970: 0), command: command).encoded()
            return out
        case .instanceLost(let lost):
            let lostName = Array(lost.utf8)
            guard lostName.count <= Self.maxInstanceBytes else {
                throw .tooLong(field: "lost instance", length: lostName.count, limit: Self.maxInstanceBytes)
            }
            return Self.header(Self.lostVersion, name, request) + [UInt8(lostName.count >> 8), UInt8(lostName.count & 0xFF)] + lostName
        }
    }

    private static func header(_ kind: UInt8, _ name: [UInt8], _ request: UInt64) -> [UInt8] {
        var out: [UInt8] = [kind, UInt8(name.count >> 8), UInt8(name.count & 0xFF)]
        out += name
        withUnsafeBytes(of: request.bigEndian) { out += $0 }
        return out
    }

    package init(decoding bytes: [UInt8]) throws(CommandLogError) {
        guard let version = bytes.first else { throw .truncated(field: "envelope") }
        guard version == Self.version || version == Self.lostVersion else { throw .unsupportedVersion(version) }
        guard bytes.count >= 3 else { throw .truncated(field: "instance") }
        let length = Int(bytes[1]) << 8 | Int(bytes[2])
        guard length <= Self.maxInstanceBytes else { throw .tooLong(field: "instance", length: length, limit: Self.maxInstanceBytes) }
        guard bytes.count >= 3 + length + 8 else { throw .truncated(field: "request") }
        guard let name = String(validating: bytes[3..<(3 + length)], as: UTF8.self) else { throw .invalidUTF8(field: "instance") }
        instance = name
        request = bytes[(3 + length)..<(11 + length)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let rest = Array(bytes[(11 + length)...])
        guard version == Self.lostVersion else {
            body = .command(try LoggedCommand(decoding: rest).command)
            return
        }
        guard rest.count >= 2 else { throw .truncated(field: "lost instance") }
        let lostLength = Int(rest[0]) << 8 | Int(rest[1])
        guard lostLength <= Self.maxInstanceBytes else {
            throw .tooLong(field: "lost instance", length: lostLength, limit: Self.maxInstanceBytes)
        }
        guard rest.count >= 2 + lostLength else { throw .truncated(field: "lost instance") }
        guard rest.count == 2 + lostLength else { throw .trailingBytes(count: rest.count - 2 - lostLength) }
        guard let lost = String(validating: rest[2...], as: UTF8.self) else { throw .invalidUTF8(field: "lost instance") }
        body = .instanceLost(lost)
    }
}
