/// A fixed-size log-linear histogram of durations in microseconds, for latency percentiles.
///
/// Recording is O(1) and never allocates: the bucket array is allocated once, in `init`. Values below
/// 128 µs are exact; above, each power of two is split into 64 buckets, so a reported percentile is at
/// most 1/64 (1.6 %) above the true value, never below it (percentiles report a bucket's upper bound).
/// The exact maximum is kept separately. Not thread-safe: keep one per event loop and ``merge(_:)``.
struct LatencyHistogram: Sendable {
    // why: 64 sub-buckets per power of two bound the relative error at 1.6 %, enough for p99 reporting.
    private static let subBucketBits = 6
    private static let subBuckets = 1 << subBucketBits
    // why: values up to 2^63 µs need 58 binary orders; 128 exact buckets + 57 × 64 covers them.
    private static let bucketCount = 2 * subBuckets + (63 - subBucketBits) * subBuckets

    private var counts: [UInt64]
    /// How many values were recorded.
    private(set) var count: UInt64 = 0
    /// The largest recorded value in microseconds (exact).
    private(set) var max: UInt64 = 0
    private var sum: UInt64 = 0

    init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    /// Records one duration in microseconds; negative durations (clock steps) are recorded as 0.
    mutating func record(microseconds value: Int64) {
        let clamped = UInt64(Swift.max(value, 0))
        counts[Self.index(of: clamped)] &+= 1
        count &+= 1
        sum &+= clamped
        if clamped > max { max = clamped }
    }

    /// Adds every value recorded by `other`.
    mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
        count &+= other.count
        sum &+= other.sum
        max = Swift.max(max, other.max)
    }

    /// The mean in microseconds, or 0 when empty.
    var mean: Double {
        count == 0 ? 0 : Double(sum) / Double(count)
    }

    /// The value at `quantile` (0...1) in microseconds: the upper bound of the bucket that holds it,
    /// capped at the exact maximum; 0 when empty.
    func value(atQuantile quantile: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = Swift.max(UInt64((quantile * Double(count)).rounded(.up)), 1)
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() where bucketCount > 0 {
            seen += bucketCount
            if seen >= rank { return Swift.min(Self.upperBound(of: index), max) }
        }
        return max
    }

    /// Bucket of `value`: the value itself below 128, else (order, 6-bit mantissa).
    static func index(of value: UInt64) -> Int {
        guard value >= UInt64(2 * subBuckets) else { return Int(value) }
        let order = 63 - value.leadingZeroBitCount
        let shift = order - subBucketBits
        let mantissa = Int(value >> UInt64(shift))
        return (shift + 1) * subBuckets + (mantissa - subBuckets)
    }

    /// The largest value that falls into bucket `index`.
    static func upperBound(of index: Int) -> UInt64 {
        guard index >= 2 * subBuckets else { return UInt64(index) }
        let shift = index / subBuckets - 1
        let mantissa = UInt64(index % subBuckets + subBuckets)
        return ((mantissa + 1) << UInt64(shift)) - 1
    }
}
