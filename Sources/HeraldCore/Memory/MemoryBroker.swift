import NIOCore
import Synchronization

/// A broker for a single node and for tests: topic histories live in this process.
///
/// It keeps the same contract as the Redis broker (ids, ordinals, epochs, retention, resets), so that the
/// HTTP edge and the behavioural tests cannot tell them apart, except that history is lost on restart and
/// nodes do not share it.
///
/// Its memory is bounded: at most `maxTopics` topics (the least recently published is dropped first), each
/// at most `retention.maxLength` events; with `retention.maxAge`, a topic not published to for that long is
/// dropped (by every publish, and by `expireIdleTopics()`, which the `sweeper` service runs periodically).
/// A cursor into a dropped topic gets a `herald.reset`, as for a deleted topic.
public final class MemoryBroker: Broker {
    public let name = "memory"
    /// Topics kept by default. why: a cap that no ordinary node reaches (each topic costs about 700 bytes
    /// plus its retained events), yet stops a flood of one-off topics from growing the node without bound.
    public static let defaultMaxTopics = 100_000
    private let fanOut: FanOut
    private let retention: RetentionPolicy
    private let clock: @Sendable () -> UInt64
    private let table: Mutex<TopicTable>
    /// Streams of this node following each topic (`subscribe(to:)`). why: an event of a topic nobody here
    /// follows is stored but not encoded and posted to every event loop (a publish-only node's main cost).
    private let followers = Mutex<[Topic: Int]>([:])

    /// - Parameters:
    ///   - maxTopics: most topics kept; creating one more drops the least recently published.
    ///   - clock: milliseconds since the Unix epoch; injectable so that tests can age events.
    public init(
        fanOut: FanOut, retention: RetentionPolicy, maxTopics: Int = MemoryBroker.defaultMaxTopics,
        clock: @escaping @Sendable () -> UInt64 = WallClock.milliseconds
    ) {
        self.fanOut = fanOut
        self.retention = retention
        self.clock = clock
        self.table = Mutex(TopicTable(maxTopics: maxTopics))
    }

    public func publish(_ events: [NewEvent]) async throws -> [TopicPosition] {
        publishNow(events)
    }

    public func publish(_ events: [NewEvent], on eventLoop: any EventLoop) -> EventLoopFuture<[TopicPosition]> {
        eventLoop.makeSucceededFuture(publishNow(events))
    }

    private func publishNow(_ events: [NewEvent]) -> [TopicPosition] {
        table.withLock { table in
            let now = clock()
            // why: the idle topics are the oldest in recency order, so this looks at one entry when none is due.
            table.expireIdle(retention, now: now)
            var stored: [StoredEvent] = []
            var positions: [TopicPosition] = []
            stored.reserveCapacity(events.count)
            positions.reserveCapacity(events.count)
            let window = UInt64(retention.idempotencyWindow / .milliseconds(1))
            for event in events {
                if table.isExpired(event.topic, retention, now: now) { table.remove(event.topic) }
                let position = table.publish(to: event.topic, makeLog: { TopicLog(epoch: Self.newEpoch()) }) { log -> TopicPosition? in
                    if let key = event.idempotencyKey, let seen = log.position(forIdempotencyKey: key, now: now) {
                        positions.append(seen)
                        return nil
                    }
                    let position = log.append(type: event.type, data: event.data, now: now)
                    log.trim(retention, now: now)
                    if let key = event.idempotencyKey { log.remember(key, position: position, until: now + window) }
                    return position
                }
                guard let position else { continue }
                stored.append(StoredEvent(topic: event.topic, position: position, type: event.type, data: event.data))
                positions.append(position)
            }
            // why: dispatching under the lock keeps live order equal to history order across publishers.
            let followed = followers.withLock { followers in stored.filter { followers[$0.topic] != nil } }
            fanOut.dispatch(followed)
            return positions
        }
    }

    public func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        withRetainedLog(of: topic, otherwise: .empty) { log in
            let events = after.map { log.events(after: $0.ordinal, limit: limit).map { entry in
                StoredEvent(topic: topic, position: TopicPosition(epoch: log.epoch, id: entry.id), type: entry.type, data: entry.data)
            } } ?? []
            return TopicHistory(epoch: log.epoch, last: log.last, events: events)
        }
    }

    public func retainedHistory(of topic: Topic) async throws -> RetainedHistory {
        withRetainedLog(of: topic, otherwise: .empty) { log in
            let retained = log.retained
            return RetainedHistory(epoch: log.epoch, count: retained.count, first: retained.first, last: log.last)
        }
    }

    /// Runs `body` on `topic`'s log, trimmed to the retention policy now, under the table's lock; `otherwise`
    /// when the topic has no log or it expired (which removes it).
    private func withRetainedLog<T: Sendable>(of topic: Topic, otherwise: T, _ body: (inout TopicLog) -> sending T) -> sending T {
        table.withLock { table in
            let now = clock()
            guard !table.isExpired(topic, retention, now: now) else {
                table.remove(topic)
                return otherwise
            }
            return table.modify(topic) { log in
                log.trim(retention, now: now)
                return body(&log)
            } ?? otherwise
        }
    }

    /// Live events of `topics` reach the fan-out from the moment this returns until the subscription is
    /// cancelled (as a Redis subscription would), counted per topic.
    public func subscribe(to topics: [Topic]) async throws -> BrokerSubscription {
        followers.withLock { followers in
            for topic in topics { followers[topic, default: 0] += 1 }
        }
        return BrokerSubscription { [weak self] in
            self?.followers.withLock { followers in
                for topic in topics {
                    let remaining = (followers[topic] ?? 1) - 1
                    followers[topic] = remaining > 0 ? remaining : nil
                }
                followers.shrinkIfMostlyEmpty()
            }
        }
    }

    public func checkReady() async throws {}

    /// Deletes a topic's whole history, as deleting its keys in Redis would; its next event starts a new epoch.
    public func deleteTopic(_ topic: Topic) {
        table.withLock { $0.remove(topic) }
    }

    /// Drops every topic idle longer than the maximum age (none without one); returns how many.
    @discardableResult
    public func expireIdleTopics() -> Int {
        let now = clock()
        return table.withLock { $0.expireIdle(retention, now: now) }
    }

    /// How often `expireIdleTopicsPeriodically()` sweeps; nil without a maximum age (nothing expires).
    /// why: a tenth of the maximum age, between 1 s and 1 min: a topic outlives its age by at most that
    /// much, and an idle node wakes rarely.
    public var sweepInterval: Duration? {
        retention.maxAge.map { min(max($0 / 10, .seconds(1)), .seconds(60)) }
    }

    /// Drops idle topics every `sweepInterval` until the calling task is cancelled, so that an idle node
    /// gives their memory back too (publishes drop them as well). Returns at once without a maximum age.
    public func expireIdleTopicsPeriodically() async {
        guard let interval = sweepInterval else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            expireIdleTopics()
        }
    }

    /// Topics kept now, and entries of their recency order (see `TopicTable`).
    public func perTopicEntries() async -> PerTopicEntries {
        let (topics, recency) = table.withLock { ($0.count, $0.recencyCount) }
        return PerTopicEntries([(PerTopicEntries.memoryTopics, topics), (PerTopicEntries.memoryRecency, recency)])
    }

    static func newEpoch() -> UInt32 { UInt32.random(in: 1...UInt32.max) }

    /// A memory backend is one node: the revocation ends this node's streams.
    public func broadcast(_ revocation: Revocation) async throws {
        await fanOut.revoke(revocation)
    }
}
