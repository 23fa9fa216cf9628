import Histogram

/// A set of durations in milliseconds (waits, speeds of answer, handle times, estimate
/// errors): the exact count, sum and share within a threshold, and an HDR histogram for
/// percentiles (two significant digits: exact below 256 ms, within 1% above; values
/// past a day count as a day).
///
/// The histogram is made on the first value, so an empty distribution costs a few
/// words; a used one about 10 KB. A plain value; owned by the `WaitStatistics` that
/// holds it (domain thread).
public struct WaitDistribution: Codable, Sendable {
    /// Longest duration the histogram tells apart from longer ones: one day.
    public static let highestTrackableMs: Int64 = 86_400_000

    public private(set) var count = 0
    public private(set) var totalMs: Int64 = 0
    private var histogram: Histogram<UInt32>?
    /// Exact counts per `bucketBoundsMs` (not cumulative; values past the last bound
    /// are `count` minus their sum), for Prometheus histograms: HDR's two digits are
    /// fine for percentiles but a bucket count must be exact.
    private var bucketCounts: [Int] = []

    /// Upper bounds (inclusive) of the Prometheus buckets, in milliseconds: waits in a
    /// contact centre run from a second to an hour.
    public static let bucketBoundsMs: [Int64] = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000,
                                                 300_000, 600_000, 1_200_000, 1_800_000, 3_600_000]

    public init() {}

    public mutating func record(ms: Int64) {
        let value = min(max(ms, 0), Self.highestTrackableMs)
        count += 1
        totalMs += value
        if bucketCounts.isEmpty { bucketCounts = Array(repeating: 0, count: Self.bucketBoundsMs.count) }
        if let bucket = Self.bucketBoundsMs.firstIndex(where: { value <= $0 }) { bucketCounts[bucket] += 1 }
        if histogram == nil {
            histogram = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: UInt64(Self.highestTrackableMs),
                                  numberOfSignificantValueDigits: .two)
        }
        // The value is clamped into the histogram's range, so recording cannot fail.
        _ = histogram?.record(UInt64(value))
    }

    /// Adds every value of `other` (to merge time buckets).
    public mutating func add(_ other: WaitDistribution) {
        guard let theirs = other.histogram else { return }
        count += other.count
        totalMs += other.totalMs
        if bucketCounts.isEmpty { bucketCounts = other.bucketCounts } else {
            for i in other.bucketCounts.indices { bucketCounts[i] += other.bucketCounts[i] }
        }
        if histogram == nil { histogram = theirs } else { histogram!.add(theirs) }
    }

    /// The arithmetic mean, exact (nil when empty).
    public var meanMs: Double? { count > 0 ? Double(totalMs) / Double(count) : nil }

    /// The value at `percentile` (0...100), from the histogram (nil when empty).
    public func percentile(_ percentile: Double) -> Int64? {
        guard count > 0, let histogram else { return nil }
        return Int64(histogram.valueAtPercentile(percentile))
    }

    /// Cumulative counts at each of `bucketBoundsMs` (values at most that bound), as a
    /// Prometheus histogram's `le` buckets carry them; the `+Inf` bucket is `count`.
    public var cumulativeBucketCounts: [Int] {
        var running = 0
        return Self.bucketBoundsMs.indices.map { i in
            running += bucketCounts.isEmpty ? 0 : bucketCounts[i]
            return running
        }
    }

    /// The summary the statistics publish.
    public var summary: DurationSummary {
        DurationSummary(count: count, meanMs: meanMs, p50Ms: percentile(50), p90Ms: percentile(90), p99Ms: percentile(99))
    }

    /// The buckets, sum and count a Prometheus histogram publishes.
    public var buckets: DurationBuckets {
        DurationBuckets(cumulativeCounts: cumulativeBucketCounts, count: count, totalMs: totalMs)
    }
}

/// Count, mean and percentiles of a `WaitDistribution`, ready to publish. A plain value.
public struct DurationSummary: Hashable, Sendable {
    public var count: Int
    public var meanMs: Double?
    public var p50Ms: Int64?
    public var p90Ms: Int64?
    public var p99Ms: Int64?

    public init(count: Int = 0, meanMs: Double? = nil, p50Ms: Int64? = nil, p90Ms: Int64? = nil, p99Ms: Int64? = nil) {
        self.count = count
        self.meanMs = meanMs
        self.p50Ms = p50Ms
        self.p90Ms = p90Ms
        self.p99Ms = p99Ms
    }
}

/// A `WaitDistribution` as a Prometheus histogram: cumulative counts at each of
/// `WaitDistribution.bucketBoundsMs`, the total count and the exact sum. A plain value.
public struct DurationBuckets: Hashable, Sendable {
    public var cumulativeCounts: [Int]
    public var count: Int
    public var totalMs: Int64

    public init(cumulativeCounts: [Int] = Array(repeating: 0, count: WaitDistribution.bucketBoundsMs.count),
                count: Int = 0, totalMs: Int64 = 0) {
        self.cumulativeCounts = cumulativeCounts
        self.count = count
        self.totalMs = totalMs
    }
}
