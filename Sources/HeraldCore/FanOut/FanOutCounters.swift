/// What the fan-out did since the node started, summed over its event loops, for metrics.
///
/// The per-delivery counts are plain integers of each loop's registry (`LoopCounters`), written only by
/// that loop: delivering an event costs an addition, no atomic and no lock. `FanOut.counters()` hops to
/// each loop to read them, so a scrape costs one task per event loop.
public struct FanOutCounters: Sendable, Equatable {
    /// Open event streams (sessions) on this node.
    public var streams = 0
    /// Topics with at least one local stream, counted once per event loop that has one (as `/stats` does).
    public var topics = 0
    /// Live events written to streams: one per event and stream (replayed events are not counted here).
    public var eventsDelivered = 0
    /// Events of history written to resuming streams.
    public var eventsReplayed = 0
    /// Topics named in `herald.reset` notices sent, by reason.
    public var resets: [ResetReason: Int] = Dictionary(uniqueKeysWithValues: ResetReason.allCases.map { ($0, 0) })
    /// Events read from history to heal live delivery after the backend's live feed was lost.
    public var eventsBackfilled = 0
    /// Whether live delivery is held while the feed is healed (see `FanOut.isHealing`).
    public var isHealing = false

    public init() {}
}

/// The counters of one event loop's registry: plain integers, confined to that loop.
struct LoopCounters {
    var eventsDelivered = 0
    var eventsReplayed = 0
    /// Indexed like `ResetReason.allCases`.
    var resets = [Int](repeating: 0, count: ResetReason.allCases.count)

    mutating func countReset(_ reason: ResetReason) {
        resets[ResetReason.allCases.firstIndex(of: reason)!] &+= 1
    }
}

extension FanOut {
    /// The fan-out's counters, summed over the event loops (one hop to each).
    public func counters() async -> FanOutCounters {
        var total = FanOutCounters()
        for bound in mailboxes.map(\.registry) {
            guard let (streams, topics, counters) = try? await bound.eventLoop.submit({
                (bound.value.sessionCount, bound.value.topicCount, bound.value.counters)
            }).get() else { continue }
            total.streams += streams
            total.topics += topics
            total.eventsDelivered += counters.eventsDelivered
            total.eventsReplayed += counters.eventsReplayed
            for (reason, count) in zip(ResetReason.allCases, counters.resets) { total.resets[reason, default: 0] += count }
        }
        total.eventsBackfilled = eventsBackfilled.load(ordering: .relaxed)
        total.isHealing = isHealing
        return total
    }
}
