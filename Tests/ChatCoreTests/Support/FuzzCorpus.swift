import Foundation

/// The seed files of a fuzz target (Tests/fuzz-corpus/<target>), read whole, by name.
/// Test support; used on the test's own thread.
enum FuzzCorpus {
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "cannot read \(path)" }
    }

    static func files(in directory: String) throws -> [(name: String, bytes: [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        return try names.map { name in
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
                throw Missing(path: directory + "/" + name)
            }
            return (name, [UInt8](data))
        }
    }
}
