import HeraldClient

/// What the subscribers of one event loop (or, merged, of all of them) received.
///
/// Sequence checks are per subscriber against its topic's sequence, which starts at 1: a jump forward
/// counts the skipped numbers as gaps, a repeat of the last number is a duplicate, and a number below
/// the last one is out of order (and does not move the subscriber back).
struct DeliveryStats: Sendable {
    /// Every event received, duplicates included.
    var delivered: UInt64 = 0
    var gaps: UInt64 = 0
    var duplicates: UInt64 = 0
    var outOfOrder: UInt64 = 0
    /// Events whose data did not carry a sequence number and a timestamp.
    var malformed: UInt64 = 0
    /// Streams that ended while the benchmark still held them.
    var streamsEnded: UInt64 = 0
    var firstStreamError: String?
    /// Publish → receive, in microseconds.
    var latency = LatencyHistogram()
    /// Events received in each whole second after `origin`; the last slot also takes anything later.
    var perSecond: [UInt64]
    /// Wall clock (ns) that `perSecond` counts from; events before it are counted in slot 0.
    var origin: UInt64 = 0

    init(seconds: Int) {
        perSecond = Array(repeating: 0, count: max(seconds, 1))
    }

    /// Adds `other`'s counts (same `origin` and number of seconds expected).
    mutating func merge(_ other: DeliveryStats) {
        delivered += other.delivered
        gaps += other.gaps
        duplicates += other.duplicates
        outOfOrder += other.outOfOrder
        malformed += other.malformed
        streamsEnded += other.streamsEnded
        firstStreamError = firstStreamError ?? other.firstStreamError
        latency.merge(other.latency)
        for index in perSecond.indices where index < other.perSecond.count {
            perSecond[index] += other.perSecond[index]
        }
    }
}

/// The receive path of the subscribers on one event loop: touched only on that loop, so it needs no lock.
///
/// Guarantees: ``receive(_:subscriber:)`` allocates nothing (the histogram, the per-subscriber sequence
/// slots and the id ring are allocated up front; see ``IDRing`` for its one exception).
final class DeliveryRecorder {
    private(set) var stats: DeliveryStats
    private var lastSequence: [UInt64]
    /// The last ids of each subscriber, kept only for a resume storm.
    private(set) var ring: IDRing?
    /// Streams of stalled subscribers that ended (the server cut them, or they failed).
    private(set) var stalledEnded = 0

    /// A recorder for `subscribers` streams, with a per-second timeline of `seconds` slots, keeping the last
    /// `idDepth` ids of each when given.
    init(subscribers: Int, seconds: Int, idDepth: Int?) {
        stats = DeliveryStats(seconds: seconds)
        lastSequence = Array(repeating: 0, count: subscribers)
        ring = idDepth.map { IDRing(subscribers: subscribers, depth: $0) }
    }

    /// Starts the per-second timeline at `origin` (wall clock, ns).
    func begin(origin: UInt64) {
        stats.origin = origin
    }

    /// Records one event received by the subscriber in slot `subscriber`.
    func receive(_ event: SSELoadEvent, subscriber: Int) {
        let now = BenchPayload.wallClockNanoseconds()
        stats.delivered += 1
        let second = now > stats.origin ? Int((now - stats.origin) / 1_000_000_000) : 0
        stats.perSecond[min(second, stats.perSecond.count - 1)] += 1
        guard let sequence = event.sequence, let timestamp = event.timestamp else {
            stats.malformed += 1
            return
        }
        stats.latency.record(microseconds: (Int64(bitPattern: now) - Int64(bitPattern: timestamp)) / 1000)
        let last = lastSequence[subscriber]
        if sequence == last {
            stats.duplicates += 1
        } else if sequence < last {
            stats.outOfOrder += 1
        } else {
            stats.gaps += sequence - last - 1
            lastSequence[subscriber] = sequence
            ring?.record(subscriber: subscriber, sequence: sequence, id: event.id ?? [])
        }
    }

    /// Records that a stream ended (by the server or a failure) while the benchmark held it.
    func streamEnded(error: String?) {
        stats.streamsEnded += 1
        if stats.firstStreamError == nil, let error { stats.firstStreamError = error }
    }

    /// Records that the stream of a stalled subscriber ended.
    func stalledStreamEnded() {
        stalledEnded += 1
    }
}
