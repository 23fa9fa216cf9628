/// A whole message of the protocol: decoded strictly from the bytes of one WebSocket
/// text message and encoded back to them. Conformers: `CustomerMessage`,
/// `AgentMessage`, `SupervisorMessage` (what each endpoint accepts) and
/// `ServerMessage` (what the server sends).
public protocol WireMessage: Hashable, Sendable {
    /// Decodes one message, enforcing `switchboard.v1.schema.json` exactly (plus the
    /// README's rules beyond it: duplicate keys, depth, lone surrogates, blank text).
    /// Never traps, whatever the bytes.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> Self

    /// The wire `type`.
    var type: String { get }

    /// Appends the compact JSON encoding (`type` first) to `bytes`.
    func encode(into bytes: inout [UInt8])
}

extension WireMessage {
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> Self {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) -> Self in try decode(raw) }
        }
        return try result.get()
    }

    public static func decode(_ text: String) throws(ProtocolError) -> Self {
        try decode(Array(text.utf8))
    }

    /// The compact JSON encoding.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        encode(into: &bytes)
        return bytes
    }

    /// The encoding as a String (it is always valid UTF-8).
    public var json: String { String(decoding: encoded(), as: UTF8.self) }
}

/// Who has checked that a message's bytes are UTF-8. A plain value.
public enum UTF8Assurance: Sendable {
    /// Nobody: the decoder checks every string (untrusted input, fuzzing).
    case unchecked
    /// The caller has: a WebSocket text message, validated by the WebSocket layer
    /// (RFC 6455 §8.1). The decoder does not check again. Passing bytes that are not
    /// UTF-8 this way makes strings that break String's invariants.
    case validated
}

/// Steps shared by every message decoder: parse, find `type`, remember a readable
/// `id` so errors can echo it.
enum Envelope {
    /// The message's object, its type and its `id` when that is a valid identifier.
    static func open(_ bytes: UnsafeRawBufferPointer,
                     utf8: UTF8Assurance = .unchecked) throws(ProtocolError) -> (object: JSONObject, type: String, id: String?) {
        let object = try JSONReader.object(from: bytes, utf8: utf8)
        var id: String?
        if case .string(let s)? = object["id"], (try? TextRule.identifier.check(s, field: "id")) != nil { id = s }
        guard let typeValue = object["type"] else { throw ProtocolError(.missingField, "'type' is required", field: "type", requestID: id) }
        guard case .string(let type) = typeValue else {
            throw ProtocolError(.invalidField, "'type' must be a string, not \(typeValue.typeName)", field: "type", requestID: id)
        }
        return (object, type, id)
    }

    /// Runs a message family's decoding and stamps the request id on any error it
    /// throws, so the `error` answer names the request it refuses.
    static func stamping<Message>(_ id: String?, _ decode: () throws(ProtocolError) -> Message) throws(ProtocolError) -> Message {
        do throws(ProtocolError) {
            return try decode()
        } catch {
            var e = error
            e.requestID = id
            throw e
        }
    }

    /// Reads `object` as a `Body`, with its field lists.
    static func read<Body: WireObject>(_ object: JSONObject, as: Body.Type = Body.self) throws(ProtocolError) -> Body {
        try Body(reading: FieldReader(object, required: Body.requiredFields, optional: Body.optionalFields))
    }

    /// Writes `{"type":…, fields…}`.
    static func write(type: String, _ body: some WireObject, into bytes: inout [UInt8]) {
        var w = JSONWriter(appendingTo: bytes)
        bytes = []  // the writer owns the storage while it writes (no copy)
        w.beginObject()
        w.field("type", type)
        body.writeFields(to: &w)
        w.endObject()
        bytes = w.bytes
    }
}
