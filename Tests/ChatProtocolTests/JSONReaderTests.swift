import Testing
@testable import ChatProtocol

struct JSONReaderTests {
    func read(_ bytes: [UInt8]) -> Result<JSONValue, ProtocolError> {
        bytes.withUnsafeBytes { raw in Result { () throws(ProtocolError) in try JSONReader.value(from: raw) } }
    }

    func read(_ text: String) -> Result<JSONValue, ProtocolError> { read(Array(text.utf8)) }

    func refuses(_ text: String) -> Bool { refuses(Array(text.utf8)) }

    func refuses(_ bytes: [UInt8]) -> Bool {
        if case .failure(let e) = read(bytes) { return e.code == .invalidJSON }
        return false
    }

    func integer(_ literal: String) -> Int64?? {
        guard case .success(.number(let n)) = read(literal) else { return .none }
        return .some(n.integer)
    }

    @Test func wholeNumbersAreIntegersHoweverTheyAreWritten() {
        #expect(integer("3") == 3)
        #expect(integer("3.0") == 3)
        #expect(integer("30e-1") == 3)
        #expect(integer("0.3e1") == 3)
        #expect(integer("-0") == 0)
        #expect(integer("1E2") == 100)
        #expect(integer("9007199254740991") == 9_007_199_254_740_991)
    }

    @Test func fractionsAndHugeNumbersAreNotIntegers() {
        #expect(integer("3.5") == .some(nil))
        #expect(integer("1e400") == .some(nil))
        #expect(integer("1e-400") == .some(nil))
        #expect(integer("1" + String(repeating: "0", count: 30)) == .some(nil))
        #expect(integer("0e999999999999999999") == 0)
    }

    @Test func numbersFollowRFC8259Exactly() {
        for bad in ["01", "+1", ".5", "1.", "1e", "-", "0x10", "NaN", "Infinity", "1.5e+"] {
            #expect(refuses(bad), "\(bad)")
        }
    }

    @Test func escapesDecodeToTheirCharacters() throws {
        let value = try read(#""a\"\\\/\b\f\n\r\t\u00e9\uD55C\ud83d\ude00""#).get()
        guard case .string(let s) = value else { Issue.record("not a string"); return }
        #expect(s == "a\"\\/\u{8}\u{c}\n\r\té한😀")
    }

    @Test func loneSurrogatesAreRefused() {
        #expect(refuses(#""\ud800""#))
        #expect(refuses(#""\udc00""#))
        #expect(refuses(#""\ud800\u0041""#))
        #expect(refuses(#""\ud800x""#))
    }

    @Test func invalidUTF8IsRefused() {
        #expect(refuses([0x22, 0xC3, 0x28, 0x22]))  // bad continuation
        #expect(refuses([0x22, 0xC0, 0xAF, 0x22]))  // overlong '/'
        #expect(refuses([0x22, 0xED, 0xA0, 0x80, 0x22]))  // UTF-8 encoded surrogate
        #expect(refuses([0x22, 0xFF, 0x22]))
        #expect(refuses([0xEF, 0xBB, 0xBF] + Array("{}".utf8)))  // a byte order mark
    }

    @Test func rawControlCharactersInStringsAreRefused() {
        #expect(refuses("\"a\u{1}b\""))
        #expect(refuses("\"a\nb\""))
    }

    @Test func duplicateKeysAreRefusedInSmallAndLargeObjects() {
        #expect(refuses(#"{"a":1,"a":2}"#))
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(!refuses("{\(many)}"))
        #expect(refuses("{\(many),\"k3\":0}"))
    }

    @Test func nestingIsBoundedAt32() {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        let tooDeep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(!refuses(ok))
        #expect(refuses(tooDeep))
        #expect(refuses(String(repeating: "[", count: 100_000)))
    }

    @Test func exactlyOneValueWithWhitespaceAround() {
        #expect(!refuses(" \t\r\n{ \"a\" : [ 1 , true , null ] }\n"))
        #expect(refuses("{} {}"))
        #expect(refuses("{}x"))
        #expect(refuses(""))
        #expect(refuses("{"))
        #expect(refuses(#"{"a":1,}"#))
        #expect(refuses("[1,]"))
        #expect(refuses("tru"))
    }

    @Test func aMessageMustBeAnObject() {
        let result = Array("[1]".utf8).withUnsafeBytes { raw in
            Result { () throws(ProtocolError) in try JSONReader.object(from: raw) }
        }
        guard case .failure(let e) = result else { Issue.record("accepted an array"); return }
        #expect(e.code == .invalidJSON)
    }

    @Test func objectsKeepDocumentOrder() throws {
        guard case .object(let o) = try read(#"{"z":1,"a":2,"m":3}"#).get() else { Issue.record("not an object"); return }
        #expect(o.members.map(\.key) == ["z", "a", "m"])
    }
}
