import NIOCore
import Synchronization

/// Chooses the reconnection delay sent with a temporary refusal of an event stream: the configured base,
/// stretched while the node refuses many clients, with jitter.
///
/// `delay = base × pressure × jitter`, where
/// - `pressure = min(1 + refusalsPerSecond / pressureUnit, maxPressure)`: at `pressureUnit` refusals per
///   second the delay doubles, and it stops growing at `maxPressure` times the base;
/// - `jitter` is uniform in [0.5, 1.5).
///
/// why: refused browsers come back after exactly the delay they were told. Without jitter a node that
/// refused a crowd in one second gets the same crowd back in one later second; without the stretch, a node
/// (or a cluster) that is full for long keeps refusing the same clients at the same rate.
final class RefusalBackoff: Sendable {
    /// Refusals per second at which the delay doubles.
    static let pressureUnit = 100.0
    /// The most the base is stretched by load (before jitter).
    static let maxPressure = 10.0

    private let baseMilliseconds: Double
    private let rate = Mutex(RefusalRate())

    init(base: TimeAmount) {
        self.baseMilliseconds = Double(base.nanoseconds) / 1e6
    }

    /// Counts one refusal now and returns the delay, in milliseconds, to send with it.
    func nextDelayMilliseconds(now: ContinuousClock.Instant = .now) -> Int {
        let perSecond = rate.withLock { $0.record(at: now) }
        return Self.delay(baseMilliseconds: baseMilliseconds, refusalsPerSecond: perSecond, jitter: Double.random(in: 0.5..<1.5))
    }

    /// The delay for a given load and jitter factor (the pure part, for tests).
    static func delay(baseMilliseconds: Double, refusalsPerSecond: Double, jitter: Double) -> Int {
        let pressure = min(1 + refusalsPerSecond / pressureUnit, maxPressure)
        return Int((baseMilliseconds * pressure * jitter).rounded())
    }
}
