/// Reads the fields of one JSON object against its definition in the schema, in the
/// README's order: unknown fields first (document order), then required fields that
/// are absent (declared order), then each value as it is read. A value used while
/// one message is decoded.
struct FieldReader {
    let object: JSONObject

    /// Checks for unknown and missing fields; `type` is always allowed (the message
    /// enums check it) and never required here.
    init(_ object: JSONObject, required: [String], optional: [String]) throws(ProtocolError) {
        for member in object.members where member.key != "type" {
            guard required.contains(member.key) || optional.contains(member.key) else {
                let fieldName = (try? TextRule.errorField.check(member.key, field: "field")) != nil ? member.key : nil
                throw ProtocolError(.unknownField, "unknown field \(ProtocolError.quote(member.key))", field: fieldName)
            }
        }
        for name in required where object[name] == nil { throw .missing(name) }
        self.object = object
    }

    /// An object value of field `field` read with `Value`'s own field lists.
    init<Value: WireObject>(_ value: JSONValue, field: String, as: Value.Type) throws(ProtocolError) {
        guard case .object(let object) = value else { throw .invalid(field, "must be an object, not \(value.typeName)") }
        try self.init(object, required: Value.requiredFields, optional: Value.optionalFields)
    }

    func has(_ name: String) -> Bool { object[name] != nil }

    private func value(_ name: String) throws(ProtocolError) -> JSONValue {
        guard let v = object[name] else { throw .missing(name) }
        return v
    }

    // MARK: Strings

    func string(_ name: String, _ rule: TextRule) throws(ProtocolError) -> String {
        try FieldReader.string(try value(name), field: name, rule)
    }

    func optionalString(_ name: String, _ rule: TextRule) throws(ProtocolError) -> String? {
        guard let v = object[name] else { return nil }
        return try FieldReader.string(v, field: name, rule)
    }

    static func string(_ value: JSONValue, field: String, _ rule: TextRule) throws(ProtocolError) -> String {
        guard case .string(let s) = value else { throw .invalid(field, "must be a string, not \(value.typeName)") }
        try rule.check(s, field: field)
        return s
    }

    // MARK: Numbers

    func integer(_ name: String, _ range: ClosedRange<Int64>) throws(ProtocolError) -> Int64 {
        try FieldReader.integer(try value(name), field: name, range)
    }

    func optionalInteger(_ name: String, _ range: ClosedRange<Int64>) throws(ProtocolError) -> Int64? {
        guard let v = object[name] else { return nil }
        return try FieldReader.integer(v, field: name, range)
    }

    static func integer(_ value: JSONValue, field: String, _ range: ClosedRange<Int64>) throws(ProtocolError) -> Int64 {
        guard case .number(let n) = value else { throw .invalid(field, "must be an integer, not \(value.typeName)") }
        guard let i = n.integer, range.contains(i) else {
            throw .invalid(field, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return i
    }

    func number(_ name: String, _ range: ClosedRange<Double>) throws(ProtocolError) -> Double {
        let v = try value(name)
        guard case .number(let n) = v else { throw .invalid(name, "must be a number, not \(v.typeName)") }
        let d = n.double
        guard range.contains(d) else { throw .invalid(name, "must be a number from \(range.lowerBound) to \(range.upperBound)") }
        return d
    }

    func optionalNumber(_ name: String, _ range: ClosedRange<Double>) throws(ProtocolError) -> Double? {
        has(name) ? try number(name, range) : nil
    }

    // MARK: Other scalars

    func bool(_ name: String) throws(ProtocolError) -> Bool {
        let v = try value(name)
        guard case .bool(let b) = v else { throw .invalid(name, "must be true or false, not \(v.typeName)") }
        return b
    }

    func optionalBool(_ name: String) throws(ProtocolError) -> Bool? {
        has(name) ? try bool(name) : nil
    }

    func word<E: RawRepresentable & CaseIterable>(_ name: String, _: E.Type = E.self) throws(ProtocolError) -> E
    where E.RawValue == String {
        try FieldReader.word(try value(name), field: name)
    }

    func optionalWord<E: RawRepresentable & CaseIterable>(_ name: String, _: E.Type = E.self) throws(ProtocolError) -> E?
    where E.RawValue == String {
        guard let v = object[name] else { return nil }
        return try FieldReader.word(v, field: name)
    }

    static func word<E: RawRepresentable & CaseIterable>(_ value: JSONValue, field: String) throws(ProtocolError) -> E
    where E.RawValue == String {
        guard case .string(let s) = value, let e = E(rawValue: s) else {
            let allowed = E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw .invalid(field, "must be one of \(allowed)")
        }
        return e
    }

    // MARK: Objects and arrays

    func object<Value: WireObject>(_ name: String, _: Value.Type = Value.self) throws(ProtocolError) -> Value {
        let v = try value(name)
        return try Value(reading: FieldReader(v, field: name, as: Value.self))
    }

    func optionalObject<Value: WireObject>(_ name: String, _: Value.Type = Value.self) throws(ProtocolError) -> Value? {
        has(name) ? try object(name, Value.self) : nil
    }

    func array<Element>(_ name: String, count: ClosedRange<Int>,
                        _ element: (JSONValue) throws(ProtocolError) -> Element) throws(ProtocolError) -> [Element] {
        let v = try value(name)
        guard case .array(let values) = v else { throw .invalid(name, "must be an array, not \(v.typeName)") }
        guard count.contains(values.count) else {
            throw .invalid(name, "must have \(count.lowerBound) to \(count.upperBound) elements")
        }
        var result: [Element] = []
        result.reserveCapacity(values.count)
        for value in values { result.append(try element(value)) }
        return result
    }

    func objects<Value: WireObject>(_ name: String, count: ClosedRange<Int>, _: Value.Type = Value.self) throws(ProtocolError) -> [Value] {
        try array(name, count: count) { (value) throws(ProtocolError) in
            try Value(reading: FieldReader(value, field: name, as: Value.self))
        }
    }
}

/// A JSON object of the protocol (a message body or a nested object) with the field
/// lists of its schema definition, read by `FieldReader` and written by `JSONWriter`.
protocol WireObject {
    static var requiredFields: [String] { get }
    static var optionalFields: [String] { get }
    init(reading fields: FieldReader) throws(ProtocolError)
    /// Writes the members (not the braces, not `type`).
    func writeFields(to writer: inout JSONWriter)
}

extension WireObject {
    static var optionalFields: [String] { [] }

    /// Writes `{…}` with the members, as a nested value.
    func writeObject(to writer: inout JSONWriter) {
        writer.beginObject()
        writeFields(to: &writer)
        writer.endObject()
    }
}

extension JSONWriter {
    mutating func field(_ name: String, _ value: some WireObject) {
        key(name)
        value.writeObject(to: &self)
    }

    mutating func field(_ name: String, _ value: (some WireObject)?) {
        if let value { field(name, value) }
    }

    mutating func field(_ name: String, _ values: [some WireObject]) {
        key(name)
        beginArray()
        for v in values {
            element()
            v.writeObject(to: &self)
        }
        endArray()
    }

    mutating func field(_ name: String, _ values: [String]) {
        key(name)
        beginArray()
        for v in values {
            element()
            string(v)
        }
        endArray()
    }
}
