/// A place events are stored and fanned out from: Redis for many nodes, memory for one.
///
/// Every implementation gives the same guarantees, which the behavioural test suite checks for both:
/// - `publish` stores each event in its topic's bounded history and publishes it live, as one atomic step per
///   event, and returns only once the event is stored; history order is live order.
/// - Within a topic, ids increase and ordinals have no holes; an epoch changes only when a topic's whole
///   history was lost, so ordinals of different epochs are never compared.
/// - Live events reach the node's `FanOut` for every topic with an active `BrokerSubscription`, in publish order.
public protocol Broker: Sendable {
    /// A short name for logs and startup messages ("redis", "memory").
    var name: String { get }

    /// Stores and publishes `events` in order; returns each event's position. Throws `HeraldError`
    /// (`backend_unavailable` when the backend cannot be reached; nothing is stored then, or only a prefix).
    func publish(_ events: [NewEvent]) async throws -> [TopicPosition]

    /// Reads up to `limit` events of `topic` with ids after `after`, with the topic's epoch and last id.
    /// `after == nil` reads only the epoch and last id (the "now" of a fresh subscriber).
    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory

    /// Makes sure live events of `topics` reach this node's fan-out, and returns once they do.
    /// Live delivery lasts until the returned subscription is cancelled.
    func subscribe(to topics: [Topic]) async throws -> BrokerSubscription

    /// Throws `backend_unavailable` unless the backend can serve requests now.
    func checkReady() async throws
}

/// A slice of one topic's history and where the topic stands now.
public struct TopicHistory: Sendable, Equatable {
    /// The topic's epoch; 0 when the topic has no history at all.
    public var epoch: UInt32
    /// The id of the topic's last event (`StreamID.zero` when it has none).
    public var last: StreamID
    /// Events after the requested id, oldest first.
    public var events: [StoredEvent]

    public init(epoch: UInt32, last: StreamID, events: [StoredEvent]) {
        self.epoch = epoch
        self.last = last
        self.events = events
    }

    /// The history of a topic that has never had an event.
    public static let empty = TopicHistory(epoch: 0, last: .zero, events: [])
}
