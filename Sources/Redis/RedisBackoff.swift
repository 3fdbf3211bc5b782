import NIOCore

/// Exponential reconnect delays with jitter.
///
/// Attempt 0 waits about the minimum; each failure doubles the base delay up to the
/// maximum. The delay drawn is uniformly random in `[base / 2, base]`.
// why: "equal jitter" keeps a floor (no hot loop against a dead server) while spreading
// the reconnects of many instances after a Redis restart, so they do not stampede it.
struct RedisBackoff: Sendable {
    var minimum: TimeAmount
    var maximum: TimeAmount

    init(minimum: TimeAmount, maximum: TimeAmount) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
    }

    init(configuration: RedisConfiguration) {
        self.init(minimum: configuration.reconnectBackoffMinimum, maximum: configuration.reconnectBackoffMaximum)
    }

    /// The delay before reconnection attempt number `attempt` (0-based).
    func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let minimum = max(self.minimum.nanoseconds, 1)
        let maximum = max(self.maximum.nanoseconds, minimum)
        // why: cap the exponent so the shift cannot overflow; 2^20 × 1 ns already exceeds any sane minimum.
        let exponent = min(max(attempt, 0), 20)
        let (scaled, overflow) = minimum.multipliedReportingOverflow(by: Int64(1) << exponent)
        let base = overflow ? maximum : min(scaled, maximum)
        let jittered = base / 2 + Int64.random(in: 0...(base - base / 2), using: &generator)
        return .nanoseconds(jittered)
    }

    func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.delay(attempt: attempt, using: &generator)
    }
}
