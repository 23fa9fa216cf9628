import TOMLKit

/// One table of a configuration file being read: typed getters that name the key
/// and its line when a value is wrong, and a check that no unknown key is left (a
/// typo must not silently fall back to a default). Used only while loading.
struct TOMLSection {
    let table: TOMLTable
    /// `""` for the root, else e.g. `limits` or `agents[2]`.
    let path: String
    let lines: TOMLLines

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String?, _ reason: String) -> ConfigurationError {
        let full = key.map(keyPath) ?? path
        return ConfigurationError(line: lines.line(of: full), key: full.isEmpty ? nil : full, reason: reason)
    }

    /// Refuses keys outside `known`, naming the first one in the file's order.
    func allowOnly(_ known: [String]) throws(ConfigurationError) {
        let unknown = table.keys.filter { !known.contains($0) }
        guard !unknown.isEmpty else { return }
        let first = unknown.min { (lines.line(of: keyPath($0)) ?? .max) < (lines.line(of: keyPath($1)) ?? .max) }!
        throw error(first, "unknown key (known here: \(known.joined(separator: ", ")))")
    }

    func has(_ key: String) -> Bool { table[key] != nil }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = table[key] else { return nil }
        guard let s = value.string else { throw error(key, "must be a string, not \(value.type)") }
        return s
    }

    func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let n = value.int else { throw error(key, "must be a whole number, not \(value.type)") }
        guard range.contains(n) else { throw error(key, "must be from \(range.lowerBound) to \(range.upperBound), not \(n)") }
        return n
    }

    /// A number of seconds (whole or fractional).
    func seconds(_ key: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Duration? {
        guard let value = table[key] else { return nil }
        guard let n = value.double ?? value.int.map(Double.init) else {
            throw error(key, "must be a number of seconds, not \(value.type)")
        }
        guard range.contains(n) else { throw error(key, "must be from \(range.lowerBound) to \(range.upperBound) seconds") }
        return .milliseconds(Int64((n * 1000).rounded()))
    }

    func double(_ key: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let value = table[key] else { return nil }
        guard let n = value.double ?? value.int.map(Double.init) else { throw error(key, "must be a number, not \(value.type)") }
        guard range.contains(n) else { throw error(key, "must be from \(range.lowerBound) to \(range.upperBound)") }
        return n
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let b = value.bool else { throw error(key, "must be true or false, not \(value.type)") }
        return b
    }

    func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw error(key, "must be an array of strings, not \(value.type)") }
        var out: [String] = []
        for (index, element) in array.enumerated() {
            guard let s = element.string else { throw error("\(key)[\(index)]", "must be a string, not \(element.type)") }
            out.append(s)
        }
        return out
    }

    func section(_ key: String) throws(ConfigurationError) -> TOMLSection? {
        guard let value = table[key] else { return nil }
        guard let t = value.table else { throw error(key, "must be a table ([\(keyPath(key))]), not \(value.type)") }
        return TOMLSection(table: t, path: keyPath(key), lines: lines)
    }

    /// An array of tables (`[[key]]`).
    func sections(_ key: String) throws(ConfigurationError) -> [TOMLSection]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw error(key, "must be an array of tables ([[\(keyPath(key))]]), not \(value.type)") }
        var out: [TOMLSection] = []
        for (index, element) in array.enumerated() {
            guard let t = element.table else { throw error("\(key)[\(index)]", "must be a table, not \(element.type)") }
            out.append(TOMLSection(table: t, path: "\(keyPath(key))[\(index)]", lines: lines))
        }
        return out
    }

    /// The raw value, for keys that take more than one type.
    func value(_ key: String) -> TOMLValueConvertible? { table[key] }
}
