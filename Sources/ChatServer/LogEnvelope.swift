import ChatCore

/// One entry of the cluster's command log as its payload carries it: who asked (the
/// node instance and its request number, so the asker can answer its client and a
/// request sent twice is applied once) and the command. The time it takes effect is
/// not in here but in the log record, stamped by Redis (`CommandLog`); the command's own
/// times are written as 0. A plain value.
///
/// Bytes: version 1, the instance (2-byte length, UTF-8, at most 200 bytes), the
/// request number (8 bytes, big-endian), then `LoggedCommand`'s bytes.
package struct LogEnvelope: Equatable {
    package var instance: String
    package var request: UInt64
    package var command: CenterCommand

    package static let version: UInt8 = 1
    static let maxInstanceBytes = 200

    package init(instance: String, request: UInt64, command: CenterCommand) {
        self.instance = instance
        self.request = request
        self.command = command
    }

    package func encoded() throws(CommandLogError) -> [UInt8] {
        let name = Array(instance.utf8)
        guard name.count <= Self.maxInstanceBytes else {
            throw .tooLong(field: "instance", length: name.count, limit: Self.maxInstanceBytes)
        }
        var out: [UInt8] = [Self.version, UInt8(name.count >> 8), UInt8(name.count & 0xFF)]
        out += name
        withUnsafeBytes(of: request.bigEndian) { out += $0 }
        out += try LoggedCommand(at: Instant(milliseconds: 0), wall: WallTime(millisecondsSince1970: 0), command: command).encoded()
        return out
    }

    package init(decoding bytes: [UInt8]) throws(CommandLogError) {
        guard let version = bytes.first else { throw .truncated(field: "envelope") }
        guard version == Self.version else { throw .unsupportedVersion(version) }
        guard bytes.count >= 3 else { throw .truncated(field: "instance") }
        let length = Int(bytes[1]) << 8 | Int(bytes[2])
        guard length <= Self.maxInstanceBytes else { throw .tooLong(field: "instance", length: length, limit: Self.maxInstanceBytes) }
        guard bytes.count >= 3 + length + 8 else { throw .truncated(field: "request") }
        guard let name = String(validating: bytes[3..<(3 + length)], as: UTF8.self) else { throw .invalidUTF8(field: "instance") }
        instance = name
        request = bytes[(3 + length)..<(11 + length)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        command = try LoggedCommand(decoding: Array(bytes[(11 + length)...])).command
    }
}
