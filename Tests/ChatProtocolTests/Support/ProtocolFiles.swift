@testable import ChatProtocol

/// The files of protocol/ at the repository root, found from this source file's path,
/// read and cut into single messages. Test support; used on the test's own thread.
enum ProtocolFiles {
    /// Who sends a message of an example: a client of a role, or the server.
    enum Sender: Equatable, Sendable, CustomStringConvertible {
        case client(Role)
        case server

        var description: String {
            switch self {
            case .client(let role): role.rawValue
            case .server: "server"
            }
        }
    }

    struct Example: Sendable {
        /// File name, and `[index]` for a step of a conversation.
        var name: String
        var sender: Sender
        /// The message as it stands in the file, re-serialised compactly.
        var bytes: [UInt8]
        var value: JSONValue
    }

    static let protocolDirectory: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Support/ProtocolFiles.swift, ChatProtocolTests, Tests
        return parts.joined(separator: "/") + "/protocol"
    }()

    static func read(_ path: String) -> [UInt8] {
        guard let file = fopen(path, "rb") else { fatalError("cannot open \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    static func parse(_ bytes: [UInt8]) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(ProtocolError) in try JSONReader.value(from: raw) } }
        switch result {
        case .success(let value): return value
        case .failure(let error): fatalError("not JSON: \(error)")
        }
    }

    /// Every `*.json` in protocol/examples, sorted.
    static var exampleFileNames: [String] {
        guard let dir = opendir(protocolDirectory + "/examples") else { fatalError("no protocol/examples") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".json") { names.append(name) }
        }
        return names.sorted()
    }

    /// Every message of every example file, with who sends it (README, "Examples").
    static let examples: [Example] = exampleFileNames.flatMap { name -> [Example] in
        let value = parse(read(protocolDirectory + "/examples/" + name))
        let kind = String(name.prefix { $0 != "." })
        if kind == "conversation" {
            guard case .array(let steps) = value else { fatalError("\(name) is not an array") }
            return steps.enumerated().map { i, step in
                guard case .object(let o) = step, let m = o["message"] else { fatalError("\(name)[\(i)] has no message") }
                let sender: Sender
                if case .string(let from)? = o["from"], let role = Role(rawValue: from) {
                    sender = .client(role)
                } else if case .string(let to)? = o["to"], Role(rawValue: to) != nil {
                    sender = .server
                } else {
                    fatalError("\(name)[\(i)] names no role")
                }
                return Example(name: "\(name)[\(i)]", sender: sender, bytes: serialise(m), value: m)
            }
        }
        let sender: Sender = kind == "server" ? .server : .client(Role(rawValue: kind)!)
        return [Example(name: name, sender: sender, bytes: serialise(value), value: value)]
    }

    struct InvalidCase: Sendable {
        var why: String
        var role: Role
        var code: ErrorCode
        var bytes: [UInt8]
    }

    /// protocol/invalid-messages.json.
    static let invalidCases: [InvalidCase] = {
        guard case .array(let cases) = parse(read(protocolDirectory + "/invalid-messages.json")) else { fatalError() }
        return cases.map { c in
            guard case .object(let o) = c, case .string(let why)? = o["why"], case .string(let role)? = o["role"],
                  case .string(let code)? = o["code"] else { fatalError("bad case \(c)") }
            let bytes: [UInt8]
            if case .string(let raw)? = o["raw"] { bytes = Array(raw.utf8) } else { bytes = serialise(o["message"]!) }
            return InvalidCase(why: why, role: Role(rawValue: role)!, code: ErrorCode(rawValue: code)!, bytes: bytes)
        }
    }()

    /// Compact JSON for a parsed value (keys in their order; numbers as written).
    static func serialise(_ value: JSONValue) -> [UInt8] {
        var w = JSONWriter()
        write(value, &w)
        return w.bytes
    }

    private static func write(_ value: JSONValue, _ w: inout JSONWriter) {
        switch value {
        case .null: w.raw("null")
        case .bool(let b): w.bool(b)
        case .number(let n): w.raw(n.literal)
        case .string(let s): w.string(s)
        case .array(let a):
            w.beginArray()
            for v in a { w.element(); write(v, &w) }
            w.endArray()
        case .object(let o):
            w.beginObject()
            for m in o.members { w.key(m.key); write(m.value, &w) }
            w.endObject()
        }
    }

    /// JSON equality: objects as unordered maps, numbers by value.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x.double == y.double
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)):
            return x.members.count == y.members.count
                && x.members.allSatisfy { m in y[m.key].map { same(m.value, $0) } ?? false }
        default: return false
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
