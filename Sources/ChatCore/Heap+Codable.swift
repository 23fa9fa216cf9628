import HeapModule

// A heap in a snapshot (the engine's rankings and timers, the shadow's end times): its
// storage order, and a valid heap is rebuilt as it was, so a restored heap pops and
// describes like the original. (Heap has no Codable of its own; should
// swift-collections add one, this goes.)
extension Heap: @retroactive Encodable where Element: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Array(unordered))
    }
}

extension Heap: @retroactive Decodable where Element: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([Element].self))
    }
}
