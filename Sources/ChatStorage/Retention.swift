/// A segment file as the writer knows it: its number, size and newest record's wall
/// time (ms). A plain value.
public struct SegmentInfo: Equatable, Sendable {
    public var number: UInt64
    public var bytes: Int64
    public var newestTS: Int64

    public init(number: UInt64, bytes: Int64, newestTS: Int64) {
        self.number = number
        self.bytes = bytes
        self.newestTS = newestTS
    }
}

/// Which closed segments go (retention by total size and by age). Pure; the writer
/// thread applies it after each rotation and about once a second.
public enum Retention {
    /// How many of `closed` (oldest first) to remove, given the active segment's size.
    public static func removable(closed: [SegmentInfo], activeBytes: Int64, maxBytes: Int64, maxAgeSeconds: Int64,
                                 nowMilliseconds: Int64) -> Int {
        var total = closed.reduce(activeBytes) { $0 + $1.bytes }
        var count = 0
        for segment in closed {
            let tooOld = maxAgeSeconds > 0 && segment.newestTS < nowMilliseconds - maxAgeSeconds * 1000
            guard total > maxBytes || tooOld else { break }
            total -= segment.bytes
            count += 1
        }
        return count
    }
}
