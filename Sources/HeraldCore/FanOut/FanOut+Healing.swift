import Logging
import NIOCore

extension FanOut {
    /// Events read per history request while healing, and the most replayed per topic.
    /// why: the same bounds as a client's catch-up (`StreamOpener`), for the same reasons.
    static let healPageSize = 1000
    static let healMaximumReplay = 100_000
    static let concurrentHealReads = 16

    /// Which holds a heal ends.
    public enum HealScope: Sendable {
        /// The hold of every topic (`holdLive()`), and the holds of the healed topics.
        case everyTopic
        /// Only the holds of the healed topics (`holdLive(_:)`); a hold of every topic stays.
        case healedTopics
    }

    /// Whether live delivery is held (the backend's feed, or part of it, was lost) and not yet healed: the
    /// node then misses live events and is not ready for new clients.
    public var isHealing: Bool {
        healedGeneration.load(ordering: .relaxed) < everyTopicHoldGeneration.load(ordering: .relaxed) || heldTopicCount > 0
    }

    /// Topics held on their own (`holdLive(_:)`) and not yet healed.
    public var heldTopicCount: Int {
        heldTopics.withLock { $0.count }
    }

    /// Call when the backend's live feed is lost (its connection closed): events published from now on
    /// may never arrive live. Every event loop holds the live events it receives from here on, in order,
    /// until `heal` has delivered what was missed; streams stay open and keep their heartbeats meanwhile.
    ///
    /// A stream still catching up may have read its history after the feed was lost, so it is told to
    /// reconnect when its catch-up ends (the client resumes exactly from its cursor).
    public func holdLive() {
        let generation = holdGeneration.add(1, ordering: .relaxed).newValue
        _ = everyTopicHoldGeneration.max(generation, ordering: .relaxed)
        for mailbox in mailboxes {
            mailbox.post(.hold(generation: generation, topics: nil))
        }
    }

    /// Call when the live feed of `topics` alone is lost (a Redis Cluster shard's channels moved, or its
    /// connection closed): as `holdLive()`, for these topics only; the others keep flowing. End it with
    /// `heal(_:from:scope:…)` and `.healedTopics` once their channels are subscribed again.
    public func holdLive(_ topics: Set<Topic>) {
        guard !topics.isEmpty else { return }
        let generation = holdGeneration.add(1, ordering: .relaxed).newValue
        heldTopics.withLock { held in
            for topic in topics { held[topic] = generation }
        }
        for mailbox in mailboxes {
            mailbox.post(.hold(generation: generation, topics: topics))
        }
    }

    /// Heals live delivery after the feed is back (subscriptions confirmed again): for each of `topics`,
    /// reads from `reader` the events after the oldest position of this node's live streams, delivers them,
    /// then the held live events, and resumes live delivery. Streams deduplicate by ordinal, so each one
    /// receives exactly the events it had not seen, in order.
    ///
    /// A read that fails (the backend's command connections may come back after the subscriber's) is
    /// retried with backoff for `readPatience`. Streams of a topic whose history still cannot be read are
    /// closed, spread over a second, and resume exactly from their cursors. If the feed was lost again
    /// meanwhile, the newer heal releases the hold. `scope` says which holds end: after `holdLive()` the
    /// hold of every topic, after `holdLive(_:)` those of `topics` alone.
    public func heal(
        _ topics: Set<Topic>, from reader: any TopicHistoryReading, scope: HealScope = .everyTopic, readPatience: Duration = .seconds(10), logger: Logger
    ) async {
        let generation = holdGeneration.load(ordering: .relaxed)
        var starts: [Topic: TopicPosition] = [:]
        for bound in mailboxes.map(\.registry) {
            let positions = (try? await bound.eventLoop.submit { bound.value.oldestLivePositions(in: topics) }.get()) ?? [:]
            starts.merge(positions) { Self.older($0, $1) }
        }
        let deadline = ContinuousClock.now + readPatience
        var backfill: [Topic: [StoredEvent]] = [:]
        var unreadable: Set<Topic> = []
        await withTaskGroup(of: (Topic, [StoredEvent]?).self) { reads in
            var pending = starts.sorted(by: { $0.key < $1.key })[...]
            // why: reads run concurrently so that a node with many topics heals in a few round trips, bounded
            // so that it does not flood the backend's few command connections.
            for _ in 0..<Self.concurrentHealReads {
                guard let (topic, start) = pending.popFirst() else { break }
                reads.addTask { (topic, await self.readMissed(topic, after: start, from: reader, hold: (generation, scope), until: deadline, logger: logger)) }
            }
            for await (topic, events) in reads {
                if let events { backfill[topic] = events } else { unreadable.insert(topic) }
                if let (topic, start) = pending.popFirst() {
                    reads.addTask { (topic, await self.readMissed(topic, after: start, from: reader, hold: (generation, scope), until: deadline, logger: logger)) }
                }
            }
        }
        let eventCount = backfill.values.reduce(0) { $0 + $1.count }
        eventsBackfilled.add(eventCount, ordering: .relaxed)
        if eventCount > 0 || !unreadable.isEmpty {
            logger.info("healed live delivery from history", metadata: [
                LogKeys.topicCount: "\(starts.count)", LogKeys.eventCount: "\(eventCount)", LogKeys.unreadableTopicCount: "\(unreadable.count)",
            ])
        }
        let frames = backfill.sorted(by: { $0.key < $1.key }).flatMap { $0.value.map { LiveFrame($0, allocator: allocator) } }
        let unhealed = unreadable
        for mailbox in mailboxes {
            mailbox.post(.releaseHold(generation: generation, healed: topics, everyTopic: scope == .everyTopic, backfill: frames, unhealed: unhealed))
        }
        heldTopics.withLock { held in
            for topic in topics where (held[topic] ?? .max) <= generation { held[topic] = nil }
            held.shrinkIfMostlyEmpty()
        }
        if scope == .everyTopic { _ = healedGeneration.max(generation, ordering: .relaxed) }
    }

    /// Reads the events of `topic` after `start`, retrying with backoff until `deadline` while no newer hold
    /// covers the topic (that one's heal reads it again); nil when they cannot be read.
    private func readMissed(
        _ topic: Topic, after start: TopicPosition, from reader: any TopicHistoryReading, hold: (generation: UInt64, scope: HealScope),
        until deadline: ContinuousClock.Instant, logger: Logger
    ) async -> [StoredEvent]? {
        var delay = Duration.milliseconds(50)
        while true {
            do {
                return try await reader.catchUpHistory(of: topic, from: start, pageSize: Self.healPageSize, maximumReplay: Self.healMaximumReplay).events
            } catch {
                let newestHold = hold.scope == .everyTopic
                    ? everyTopicHoldGeneration.load(ordering: .relaxed) : heldTopics.withLock { $0[topic] ?? 0 }
                let superseded = newestHold > hold.generation
                guard !superseded, ContinuousClock.now + delay < deadline else {
                    if !superseded {
                        logger.warning("cannot read a topic's history to heal live delivery; closing its streams so that they resume", metadata: [
                            LogKeys.topic: "\(topic)", LogKeys.error: "\(error)",
                        ])
                    }
                    return nil
                }
                // why: backing off (50 ms doubling to 1 s) gives a restarting backend time without hammering it.
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }

    /// The position to heal a topic from when two loops' streams stand at `a` and `b`: the older one. A
    /// stream that has seen no event (epoch 0) is older than any; of two different epochs one is stale, and
    /// its streams recover by reconnecting.
    static func older(_ a: TopicPosition, _ b: TopicPosition) -> TopicPosition {
        guard a.epoch == b.epoch else { return b.epoch == 0 ? b : a }
        return a.id.ordinal <= b.id.ordinal ? a : b
    }
}
