import NIOCore

extension FanOut {
    /// Events read per history request while healing, and the most replayed per topic.
    /// why: the same bounds as a client's catch-up (`StreamOpener`), for the same reasons.
    static let healPageSize = 1000
    static let healMaximumReplay = 100_000

    /// Call when the backend's live feed is lost (its connection closed): events published from now on
    /// may never arrive live. Every event loop holds the live events it receives from here on, in order,
    /// until `heal` has delivered what was missed; streams stay open and keep their heartbeats meanwhile.
    ///
    /// A stream still catching up may have read its history after the feed was lost, so it is told to
    /// reconnect when its catch-up ends (the client resumes exactly from its cursor).
    public func holdLive() {
        let generation = holdGeneration.add(1, ordering: .relaxed).newValue
        for bound in registries {
            bound.eventLoop.execute { bound.value.hold(generation: generation) }
        }
    }

    /// Heals live delivery after the feed is back (subscriptions confirmed again): for each of `topics`,
    /// reads from `reader` the events after the oldest position of this node's live streams, delivers them,
    /// then the held live events, and resumes live delivery. Streams deduplicate by ordinal, so each one
    /// receives exactly the events it had not seen, in order.
    ///
    /// Streams of a topic whose history cannot be read are closed, spread over a second, and resume
    /// exactly from their cursors. If the feed was lost again meanwhile, the newer heal releases the hold.
    public func heal(_ topics: Set<Topic>, from reader: any TopicHistoryReading) async {
        let generation = holdGeneration.load(ordering: .relaxed)
        var starts: [Topic: TopicPosition] = [:]
        for bound in registries {
            let positions = (try? await bound.eventLoop.submit { bound.value.oldestLivePositions(in: topics) }.get()) ?? [:]
            starts.merge(positions) { Self.older($0, $1) }
        }
        var backfill: [StoredEvent] = []
        var unreadable: Set<Topic> = []
        for (topic, start) in starts.sorted(by: { $0.key < $1.key }) {
            do {
                let history = try await reader.catchUpHistory(of: topic, from: start, pageSize: Self.healPageSize, maximumReplay: Self.healMaximumReplay)
                backfill += history.events
            } catch {
                unreadable.insert(topic)
            }
        }
        let frames = backfill.map { LiveFrame($0, allocator: allocator) }
        for bound in registries {
            bound.eventLoop.execute {
                bound.value.releaseHold(generation: generation, backfill: frames, closingSubscribersOf: unreadable)
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
