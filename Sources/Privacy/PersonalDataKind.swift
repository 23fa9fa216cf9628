/// The kinds of personal numbers the broker hides before a message is stored or
/// relayed (protocol/privacy.md). The raw value is the wire and configuration name.
/// A plain value.
public enum PersonalDataKind: String, CaseIterable, Sendable, Hashable {
    /// 주민등록번호: YYMMDD-GNNNNNC, recognised by its date and check digit.
    case residentNumber = "rrn"
    /// A payment card number: 13–19 digits passing the Luhn check (PCI DSS).
    case cardNumber = "card"
    /// A Korean mobile or landline number (010-1234-5678, 02-123-4567).
    case phoneNumber = "phone"
    /// A bank account number: a digit run after a keyword (계좌, 통장, account…).
    case bankAccount = "account"
    /// An e-mail address.
    case email = "email"

    /// Detection order where two kinds could claim the same digits: the stricter
    /// check (a check digit) wins.
    var bit: UInt8 { 1 << UInt8(PersonalDataKind.allCases.firstIndex(of: self)!) }
}

/// A small set of kinds, one bit each (no allocation on the hot path). A plain value.
public struct PersonalDataKinds: Equatable, Hashable, Sendable, Sequence {
    public private(set) var bits: UInt8

    public init() { bits = 0 }
    public init(_ kinds: [PersonalDataKind]) {
        bits = 0
        for kind in kinds { insert(kind) }
    }

    public static var all: PersonalDataKinds { PersonalDataKinds(PersonalDataKind.allCases) }

    public var isEmpty: Bool { bits == 0 }
    public func contains(_ kind: PersonalDataKind) -> Bool { bits & kind.bit != 0 }
    public mutating func insert(_ kind: PersonalDataKind) { bits |= kind.bit }
    public mutating func remove(_ kind: PersonalDataKind) { bits &= ~kind.bit }
    public mutating func formUnion(_ other: PersonalDataKinds) { bits |= other.bits }
    public func subtracting(_ other: PersonalDataKinds) -> PersonalDataKinds {
        var out = self
        out.bits &= ~other.bits
        return out
    }

    public func makeIterator() -> IndexingIterator<[PersonalDataKind]> {
        PersonalDataKind.allCases.filter { contains($0) }.makeIterator()
    }
}
