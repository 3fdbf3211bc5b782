/// The node's own counters and gauges at one moment, read by the `/metrics` endpoint right before it
/// emits (so the hot path keeps its plain counters and pays nothing for metrics).
public struct NodeSnapshot: Sendable {
    public var openStreams = 0
    public var openConnections = 0
    public var maxConnections = 0
    public var topicsWithSubscribers = 0
    public var liveDeliveryHealing = false
    public var eventsDelivered = 0
    public var eventsReplayed = 0
    public var eventsBackfilled = 0
    /// Topics in `herald.reset` notices, by reason (`history_trimmed`, …); every reason, zero or not.
    public var resets: [String: Int] = [:]
    public var slowReadersCut = 0
    public var deadPeersReleased = 0
    public var streamsRefused = 0
    public var acceptFailures = 0

    public init() {}
}
