/// Refusals per second over a sliding one-second window, estimated from two fixed one-second buckets
/// (the current one, and the previous one weighted by how much of it the window still covers).
struct RefusalRate {
    private var bucketStart: ContinuousClock.Instant?
    private var current = 0.0
    private var previous = 0.0

    /// Counts one refusal at `now` (instants must not go backwards) and returns the rate including it.
    mutating func record(at now: ContinuousClock.Instant) -> Double {
        advance(to: now)
        current += 1
        return estimate(at: now)
    }

    /// The rate at `now` without counting anything.
    mutating func estimate(at now: ContinuousClock.Instant) -> Double {
        advance(to: now)
        guard let bucketStart else { return 0 }
        let elapsed = seconds(now - bucketStart)
        return previous * max(0, 1 - elapsed) + current
    }

    private mutating func advance(to now: ContinuousClock.Instant) {
        guard let start = bucketStart else {
            bucketStart = now
            return
        }
        let buckets = Int(seconds(now - start).rounded(.down))
        guard buckets > 0 else { return }
        previous = buckets == 1 ? current : 0
        current = 0
        bucketStart = start + .seconds(buckets)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
