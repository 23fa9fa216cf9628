/// A customer's session token: 192 random bits from the system's CSPRNG, written in
/// base64url (32 characters), so the protocol's minimum of 128 bits and 22 characters
/// holds with room to spare. A bearer secret: never logged, never put in a URL.
/// Made and checked on the domain thread.
package enum SessionToken {
    package static let randomBytes = 24

    package static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }

    package static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        var bytes = [UInt8](repeating: 0, count: randomBytes)
        for index in bytes.indices { bytes[index] = generator.next() }
        return Base64URL.encode(bytes)
    }
}
