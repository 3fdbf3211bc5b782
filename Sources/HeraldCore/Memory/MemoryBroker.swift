import NIOCore
import Synchronization

/// A broker for a single node and for tests: topic histories live in this process.
///
/// It keeps the same contract as the Redis broker (ids, ordinals, epochs, retention, resets), so that the
/// HTTP edge and the behavioural tests cannot tell them apart, except that history is lost on restart and
/// nodes do not share it.
public final class MemoryBroker: Broker {
    public let name = "memory"
    private let fanOut: FanOut
    private let retention: RetentionPolicy
    private let clock: @Sendable () -> UInt64
    private let logs = Mutex<[Topic: TopicLog]>([:])

    /// - Parameter clock: milliseconds since the Unix epoch; injectable so that tests can age events.
    public init(fanOut: FanOut, retention: RetentionPolicy, clock: @escaping @Sendable () -> UInt64 = WallClock.milliseconds) {
        self.fanOut = fanOut
        self.retention = retention
        self.clock = clock
    }

    public func publish(_ events: [NewEvent]) async throws -> [TopicPosition] {
        publishNow(events)
    }

    public func publish(_ events: [NewEvent], on eventLoop: any EventLoop) -> EventLoopFuture<[TopicPosition]> {
        eventLoop.makeSucceededFuture(publishNow(events))
    }

    private func publishNow(_ events: [NewEvent]) -> [TopicPosition] {
        logs.withLock { logs in
            let now = clock()
            var stored: [StoredEvent] = []
            var positions: [TopicPosition] = []
            stored.reserveCapacity(events.count)
            positions.reserveCapacity(events.count)
            let window = UInt64(retention.idempotencyWindow / .milliseconds(1))
            for event in events {
                var log = logs.removeValue(forKey: event.topic).flatMap { $0.isExpired(retention, now: now) ? nil : $0 }
                    ?? TopicLog(epoch: Self.newEpoch())
                defer { logs[event.topic] = log }
                if let key = event.idempotencyKey, let seen = log.position(forIdempotencyKey: key, now: now) {
                    positions.append(seen)
                    continue
                }
                let position = log.append(type: event.type, data: event.data, now: now)
                log.trim(retention, now: now)
                if let key = event.idempotencyKey { log.remember(key, position: position, until: now + window) }
                stored.append(StoredEvent(topic: event.topic, position: position, type: event.type, data: event.data))
                positions.append(position)
            }
            // why: dispatching under the lock keeps live order equal to history order across publishers.
            fanOut.dispatch(stored)
            return positions
        }
    }

    public func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        logs.withLock { logs in
            let now = clock()
            guard var log = logs.removeValue(forKey: topic) else { return .empty }
            log.trim(retention, now: now)
            if log.isExpired(retention, now: now) { return .empty }
            logs[topic] = log
            let events = after.map { log.events(after: $0.ordinal, limit: limit).map { entry in
                StoredEvent(topic: topic, position: TopicPosition(epoch: log.epoch, id: entry.id), type: entry.type, data: entry.data)
            } } ?? []
            return TopicHistory(epoch: log.epoch, last: log.last, events: events)
        }
    }

    public func subscribe(to topics: [Topic]) async throws -> BrokerSubscription {
        .none()
    }

    public func checkReady() async throws {}

    /// Deletes a topic's whole history, as deleting its keys in Redis would; its next event starts a new epoch.
    public func deleteTopic(_ topic: Topic) {
        _ = logs.withLock { $0.removeValue(forKey: topic) }
    }

    static func newEpoch() -> UInt32 { UInt32.random(in: 1...UInt32.max) }
}
