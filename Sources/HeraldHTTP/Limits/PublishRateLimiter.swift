import Synchronization

/// A token bucket per client address for published events: `rate` events per second, with bursts of up
/// to one second's worth. A batch costs one token per event.
final class PublishRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let rate: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    /// why: bounds the table; buckets that refilled completely carry no state worth keeping.
    private static let pruneThreshold = 10_000

    init(eventsPerSecond: Int) {
        rate = Double(eventsPerSecond)
    }

    /// Takes `events` tokens from `address`'s bucket, or throws `429 rate_limited` with the wait in `Retry-After`.
    func admit(_ events: Int, from address: String) throws(EdgeError) {
        let now = ContinuousClock.now
        let waitSeconds: Double? = buckets.withLock { buckets in
            if buckets.count > Self.pruneThreshold { prune(&buckets, now: now) }
            var bucket = buckets[address] ?? Bucket(tokens: rate, updated: now)
            bucket.tokens = min(rate, bucket.tokens + rate * seconds(now - bucket.updated))
            bucket.updated = now
            defer { buckets[address] = bucket }
            guard bucket.tokens >= Double(events) else {
                return (Double(events) - bucket.tokens) / rate
            }
            bucket.tokens -= Double(events)
            return nil
        }
        guard let waitSeconds else { return }
        guard Double(events) <= rate else {
            throw EdgeError(.rateLimited, "a batch of \(events) events exceeds the limit of \(Int(rate)) events per second per address; send smaller batches", retryAfter: 1)
        }
        throw EdgeError(.rateLimited, "more than \(Int(rate)) events per second from \(address); slow down and retry", retryAfter: max(1, Int(waitSeconds.rounded(.up))))
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { $0.value.tokens + rate * seconds(now - $0.value.updated) < rate }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
