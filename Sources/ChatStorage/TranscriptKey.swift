/// Names one conversation's stream of records in the store: the broker's boot number
/// (so conversation numbers that restart with the process never collide with those of
/// an earlier run) and the conversation's number within that boot. A plain value.
public struct TranscriptKey: Hashable, Sendable, CustomStringConvertible {
    public let boot: UInt32
    public let number: UInt64

    public init(boot: UInt32, number: UInt64) {
        self.boot = boot
        self.number = number
    }

    public var description: String { "\(boot)-\(number)" }
}
