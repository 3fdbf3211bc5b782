import NIOCore

/// A place events are stored and fanned out from: Redis for many nodes, memory for one.
///
/// Every implementation gives the same guarantees, which the behavioural test suite checks for both:
/// - `publish` stores each event in its topic's bounded history and publishes it live, as one atomic step per
///   event, and returns only once the event is stored; history order is live order.
/// - Within a topic, ids increase and ordinals have no holes; an epoch changes only when a topic's whole
///   history was lost, so ordinals of different epochs are never compared.
/// - Live events reach the node's `FanOut` for every topic with an active `BrokerSubscription`, in publish order.
public protocol Broker: TopicHistoryReading {
    /// A short name for logs and startup messages ("redis", "memory").
    var name: String { get }

    /// Stores and publishes `events` in order; returns each event's position. Throws `HeraldError`
    /// (`backend_unavailable` when the backend cannot be reached; nothing is stored then, or only a prefix).
    /// An event with an idempotency key that its topic already stored within the idempotency window is
    /// not stored again: its original position is returned.
    func publish(_ events: [NewEvent]) async throws -> [TopicPosition]

    /// `publish(_:)` for a caller on `eventLoop`, completing there. The edge publishes through it so that
    /// a publish needs no Swift task; a broker that can do the work without leaving the loop implements it,
    /// the default runs `publish(_:)` in a task.
    func publish(_ events: [NewEvent], on eventLoop: any EventLoop) -> EventLoopFuture<[TopicPosition]>

    /// Makes sure live events of `topics` reach this node's fan-out, and returns once they do.
    /// Live delivery lasts until the returned subscription is cancelled.
    func subscribe(to topics: [Topic]) async throws -> BrokerSubscription

    /// Throws `backend_unavailable` unless the backend can serve requests now.
    func checkReady() async throws

    /// What the backend cannot serve now while it serves the rest (a Redis Cluster shard failing over), one
    /// sentence each; empty when it serves everything. `/readyz` reports it.
    func degradation() async -> [String]

    /// How many entries the broker's structures keyed by topic or channel hold now (see `PerTopicEntries`).
    func perTopicEntries() async -> PerTopicEntries

    /// What the backend retains of `topic` now: count, first and last id, epoch (`.empty` for a topic it holds
    /// nothing of). Read atomically, so the count and the ids describe the same moment. Throws `HeraldError`.
    func retainedHistory(of topic: Topic) async throws -> RetainedHistory

    /// The subscribers of `topic` across every node sharing the backend, given this node's own count.
    /// The default is a node alone (the memory backend): its own count, one node reporting.
    func subscriberCount(of topic: Topic, onThisNode: Int) async throws -> SubscriberCount

    /// Sends `revocation` to every node sharing the backend, this one included; each ends the streams it
    /// matches (`FanOut.revoke(_:)`). Throws `backend_unavailable` when it cannot be sent.
    func broadcast(_ revocation: Revocation) async throws
}

extension Broker {
    public func perTopicEntries() async -> PerTopicEntries { PerTopicEntries() }

    public func broadcast(_ revocation: Revocation) async throws {
        throw HeraldError(.backendUnavailable, "the \(name) backend cannot send revocations to other nodes")
    }

    public func degradation() async -> [String] { [] }

    public func publish(_ events: [NewEvent], on eventLoop: any EventLoop) -> EventLoopFuture<[TopicPosition]> {
        eventLoop.makeFutureWithTask { try await self.publish(events) }
    }

    public func subscriberCount(of topic: Topic, onThisNode: Int) async throws -> SubscriberCount {
        .singleNode(onThisNode)
    }

    /// Reads the whole retained history page by page and counts it: correct for any broker, meant for test
    /// doubles; both real brokers answer from their own bookkeeping in one step.
    public func retainedHistory(of topic: Topic) async throws -> RetainedHistory {
        // why: pages bound the memory of one read; a real broker never takes this path.
        let pageSize = 1000
        var page = try await history(of: topic, after: .zero, limit: pageSize)
        let (epoch, first) = (page.epoch, page.events.first?.position.id)
        var (count, last) = (page.events.count, page.events.last?.position.id)
        while page.events.count == pageSize, let after = last {
            page = try await history(of: topic, after: after, limit: pageSize)
            count += page.events.count
            last = page.events.last?.position.id ?? last
        }
        return RetainedHistory(epoch: epoch, count: count, first: first, last: last)
    }
}

