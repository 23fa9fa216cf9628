/// A parsed JSON value (RFC 8259), as the strict reader produces it. Objects keep
/// their members in document order; duplicate keys never get this far. A plain value,
/// owned by the decoding call that made it.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object's members in document order (keys unique).
struct JSONObject: Sendable {
    var members: [(key: String, value: JSONValue)]

    subscript(key: String) -> JSONValue? {
        for member in members where member.key == key { return member.value }
        return nil
    }
}

/// A JSON number: its literal, and its exact value when that is a whole number.
///
/// JSON Schema calls any number with a zero fractional part an integer (`3.0`,
/// `30e-1`), so `integer` is computed from the decimal digits, never through a
/// `Double`: nil when the value is not whole or its magnitude is 10^18 or more.
struct JSONNumber: Sendable {
    let literal: String
    let integer: Int64?

    var double: Double { Double(literal) ?? .nan }

    init(literal: String, negative: Bool, significand: [UInt8], fractionDigits: Int, exponent: Int) {
        self.literal = literal
        self.integer = JSONNumber.exactInteger(negative: negative, digits: significand,
                                               scale: exponent - fractionDigits)
    }

    /// `digits` × 10^`scale` as an Int64, if whole and below 10^18 in magnitude.
    private static func exactInteger(negative: Bool, digits: [UInt8], scale: Int) -> Int64? {
        var lo = 0, hi = digits.count
        while lo < hi, digits[lo] == 0 { lo += 1 }
        if lo == hi { return 0 }
        var scale = scale
        while hi > lo, digits[hi - 1] == 0 { hi -= 1; scale += 1 }
        guard scale >= 0, (hi - lo) + scale <= 18 else { return nil }
        var value: Int64 = 0
        for d in digits[lo..<hi] { value = value * 10 + Int64(d) }
        for _ in 0..<scale { value *= 10 }
        return negative ? -value : value
    }
}
