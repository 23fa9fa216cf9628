/// A sliding window over time made of equal buckets: values are added to the bucket of
/// the instant they happen at, and the window is the merge of the buckets of the last
/// `window` (the current, partly filled bucket and the whole ones before it, so between
/// `window - bucketLength` and `window` of history).
///
/// A ring of `window / bucketLength` slots; a slot left behind by time is cleared when
/// it is reused. A plain value; owned by whoever holds it (domain thread).
public struct TimeBuckets<Value>: Sendable where Value: Sendable {
    /// One bucket's place: its number (time / bucket length) and its value.
    struct Slot: Sendable {
        var number: Int64
        var value: Value
    }

    public let bucketLength: Int64
    private var slots: [Slot]
    private let empty: Value

    /// `window` and `bucketLength` in milliseconds; at least one bucket.
    public init(windowMs: Int64, bucketMs: Int64, empty: Value) {
        precondition(bucketMs > 0 && windowMs > 0, "a window needs a length")
        bucketLength = bucketMs
        let count = Int(max(1, (windowMs + bucketMs - 1) / bucketMs))
        slots = Array(repeating: Slot(number: .min, value: empty), count: count)
        self.empty = empty
    }

    /// The window's length in milliseconds.
    public var windowMs: Int64 { bucketLength * Int64(slots.count) }

    private func number(of instant: Instant) -> Int64 {
        instant.milliseconds >= 0 ? instant.milliseconds / bucketLength : (instant.milliseconds - bucketLength + 1) / bucketLength
    }

    /// Changes the bucket that `instant` falls in.
    public mutating func update(at instant: Instant, _ body: (inout Value) -> Void) {
        let n = number(of: instant)
        let i = Int(((n % Int64(slots.count)) + Int64(slots.count)) % Int64(slots.count))
        if slots[i].number != n {
            // Only a newer bucket replaces a slot; a late value for a bucket that has
            // already left the window is dropped.
            guard slots[i].number < n else { return }
            slots[i] = Slot(number: n, value: empty)
        }
        body(&slots[i].value)
    }

    /// Folds the buckets still in the window at `now`, oldest first.
    public func reduce<R>(at now: Instant, into initial: R, _ combine: (inout R, Value) -> Void) -> R {
        let newest = number(of: now)
        let oldest = newest - Int64(slots.count) + 1
        var result = initial
        for slot in slots.sorted(by: { $0.number < $1.number }) where slot.number >= oldest && slot.number <= newest {
            combine(&result, slot.value)
        }
        return result
    }
}

extension TimeBuckets.Slot: Codable where Value: Codable {}
extension TimeBuckets: Codable where Value: Codable {}
