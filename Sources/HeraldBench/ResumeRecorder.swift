import HeraldClient
import NIOCore

/// What the resumed streams of one event loop (or, merged, of all of them) received in a resume storm.
struct ResumeStats: Sendable {
    /// Subscribers that received exactly their expected events, in order, and nothing else.
    var completed = 0
    /// Subscribers that received their last expected event, broken or not.
    var reachedLast = 0
    /// Subscribers that saw a gap, a duplicate, an out-of-order or an unexpected event.
    var broken = 0
    var gaps: UInt64 = 0
    var duplicates: UInt64 = 0
    var outOfOrder: UInt64 = 0
    /// Events after the last expected one, or without `seq`.
    var unexpected: UInt64 = 0
    /// Expected events not received (filled in by ``ResumeRecorder/stats``).
    var missing: UInt64 = 0
    var streamsEnded = 0
    var firstStreamError: String?
    /// Reconnect started → last expected event, per completed subscriber, in microseconds.
    var resumeTime = LatencyHistogram()
    /// When the last subscriber completed.
    var lastCompletion: NIODeadline?

    mutating func merge(_ other: ResumeStats) {
        completed += other.completed
        reachedLast += other.reachedLast
        broken += other.broken
        gaps += other.gaps
        duplicates += other.duplicates
        outOfOrder += other.outOfOrder
        unexpected += other.unexpected
        missing += other.missing
        streamsEnded += other.streamsEnded
        firstStreamError = firstStreamError ?? other.firstStreamError
        resumeTime.merge(other.resumeTime)
        if let other = other.lastCompletion { lastCompletion = max(lastCompletion ?? other, other) }
    }
}

/// The receive path of the resumed streams on one event loop: each expects the sequence numbers
/// `first...last` exactly once and in order. Touched only on its loop, so it needs no lock.
final class ResumeRecorder {
    private struct Slot {
        var armed = false
        var first: UInt64 = 0
        var next: UInt64 = 0
        var last: UInt64 = 0
        var received: UInt64 = 0
        var started = NIODeadline.uptimeNanoseconds(0)
        var broken = false
        var completed = false
    }

    private var slots: [Slot]
    private var counters = ResumeStats()

    init(subscribers: Int) {
        slots = Array(repeating: Slot(), count: subscribers)
    }

    /// Arms slot `subscriber` to expect `first...last`, its reconnect having started at `started`.
    func expect(subscriber: Int, first: UInt64, last: UInt64, started: NIODeadline) {
        slots[subscriber] = Slot(armed: true, first: first, next: first, last: last, started: started)
    }

    /// Records one event of slot `subscriber`'s resumed stream.
    func receive(_ event: SSELoadEvent, subscriber: Int) {
        guard slots[subscriber].armed, let sequence = event.sequence, sequence <= slots[subscriber].last, !slots[subscriber].completed else {
            counters.unexpected += 1
            breakSlot(subscriber)
            return
        }
        let expected = slots[subscriber].next
        if sequence == expected {
            slots[subscriber].received += 1
            slots[subscriber].next += 1
        } else if sequence > expected {
            counters.gaps += sequence - expected
            slots[subscriber].received += 1
            slots[subscriber].next = sequence + 1
            breakSlot(subscriber)
        } else {
            if sequence == expected - 1 { counters.duplicates += 1 } else { counters.outOfOrder += 1 }
            breakSlot(subscriber)
        }
        if sequence == slots[subscriber].last { complete(subscriber) }
    }

    /// Records that a resumed stream ended before the benchmark closed it.
    func streamEnded(error: String?) {
        counters.streamsEnded += 1
        if counters.firstStreamError == nil, let error { counters.firstStreamError = error }
    }

    /// The figures so far; `completed` and `missing` are counted from the slots as they are now.
    var stats: ResumeStats {
        var stats = counters
        stats.completed = slots.reduce(0) { $0 + ($1.completed && !$1.broken ? 1 : 0) }
        stats.missing = slots.reduce(0) { total, slot in
            slot.armed ? total + (slot.last - slot.first + 1) - slot.received : total
        }
        return stats
    }

    private func complete(_ subscriber: Int) {
        guard !slots[subscriber].completed else { return }
        slots[subscriber].completed = true
        counters.reachedLast += 1
        let now = NIODeadline.now()
        counters.lastCompletion = max(counters.lastCompletion ?? now, now)
        guard !slots[subscriber].broken else { return }
        counters.resumeTime.record(microseconds: (now - slots[subscriber].started).nanoseconds / 1000)
    }

    private func breakSlot(_ subscriber: Int) {
        guard !slots[subscriber].broken else { return }
        slots[subscriber].broken = true
        counters.broken += 1
    }
}
