#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Events per second of one topic on one event loop: an exponentially decaying average of the events the
/// loop delivered, sampled when someone asks (`GET /stats`) and at the loop's heartbeat, never per event.
///
/// The hot path only adds to a plain integer (`LoopRegistry` counts per topic entry); a sample turns the
/// events counted since the previous sample into a rate over the time between them, and folds it into the
/// average with the weight `1 - exp(-elapsed / timeConstant)`, so that samples taken at any spacing give
/// the same average. A burst of n events reads as about n / `timeConstant` events/s at first and fades
/// away over a few time constants; a steady rate reads as itself after a few time constants.
struct DeliveryRate {
    /// why: 10 s answers "which topics are busy now" (a burst counts, then fades within half a minute),
    /// and the heartbeat (15 s by default) samples often enough that no average spans much longer.
    static let timeConstant: Double = 10

    private(set) var perSecond: Double = 0
    private var counted = 0
    private var sampledAt: NIODeadline

    init(now: NIODeadline) {
        sampledAt = now
    }

    /// Folds the events counted since the last sample (`delivered` is the running total) into the average.
    mutating func sample(delivered: Int, now: NIODeadline) {
        let elapsed = Double((now - sampledAt).nanoseconds) / 1e9
        guard elapsed > 0 else { return }
        let events = Double(delivered &- counted)
        let weight = 1 - exp(-elapsed / Self.timeConstant)
        perSecond += weight * (events / elapsed - perSecond)
        counted = delivered
        sampledAt = now
    }
}
