/// Why a client message was refused by the decoder: the one error type of
/// `ChatProtocol`. Carries the stable `code`, a sentence for people, the field it is
/// about and the offending message's `id` when that could be read, so the glue can
/// answer with `ServerMessage.error(ErrorReport(self))`. A plain value.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    /// English, for logs and developers; clients localise by `code`.
    public var message: String
    /// The top-level field (or nested key) the error is about.
    public var field: String?
    /// The `id` of the refused message, when it was a valid identifier.
    public var requestID: String?

    public init(_ code: ErrorCode, _ message: String, field: String? = nil, requestID: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.requestID = requestID
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Client text to quote in a message: at most 40 characters, controls as '?'.
    static func quote(_ s: String) -> String {
        var out = ""
        for (i, scalar) in s.unicodeScalars.enumerated() {
            if i == 40 { out += "…"; break }
            out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return "'\(out)'"
    }

    static func invalidJSON(_ why: String) -> ProtocolError { ProtocolError(.invalidJSON, why) }

    static func missing(_ field: String) -> ProtocolError {
        ProtocolError(.missingField, "'\(field)' is required", field: field)
    }

    static func invalid(_ field: String, _ why: String) -> ProtocolError {
        ProtocolError(.invalidField, "'\(field)' \(why)", field: field)
    }
}
