/// What a broker retains of one topic now: how many events, the ids of the first and last, and the epoch.
///
/// A topic that was never published to (or whose history expired or was deleted) is `.empty`: topics are
/// implicit, so asking about one is never an error. With a maximum age, a topic can keep its epoch after its
/// events expired (`count` 0, `epoch` set): a client resuming from an old cursor then learns what it missed.
public struct RetainedHistory: Sendable, Equatable {
    /// The topic's epoch; 0 when the broker knows nothing of the topic.
    public var epoch: UInt32
    /// Events retained now (for Redis, the stream's length, which `MAXLEN ~` trims in whole nodes).
    public var count: Int
    /// The oldest retained event's position; nil when none is retained.
    public var first: TopicPosition?
    /// The newest retained event's position; nil when none is retained.
    public var last: TopicPosition?

    public init(epoch: UInt32, count: Int, first: StreamID?, last: StreamID?) {
        self.epoch = epoch
        self.count = count
        self.first = count > 0 ? first.map { TopicPosition(epoch: epoch, id: $0) } : nil
        self.last = count > 0 ? last.map { TopicPosition(epoch: epoch, id: $0) } : nil
    }

    /// A topic the broker holds nothing of.
    public static let empty = RetainedHistory(epoch: 0, count: 0, first: nil, last: nil)
}

/// How many streams subscribe to one topic across the nodes that share a backend.
public struct SubscriberCount: Sendable, Equatable {
    /// Every node's subscribers of the topic: this node's now, the others' as they last reported.
    public var total: Int
    /// This node's subscribers of the topic, counted now.
    public var onThisNode: Int
    /// Nodes whose report is live (this one included): each reports every few seconds, and a report expires
    /// a few intervals after the node stops (see `SubscriberReportSettings` of the Redis broker).
    public var nodesReporting: Int

    public init(total: Int, onThisNode: Int, nodesReporting: Int) {
        self.total = total
        self.onThisNode = onThisNode
        self.nodesReporting = nodesReporting
    }

    /// The count of a node that shares its backend with no other: its own.
    public static func singleNode(_ onThisNode: Int) -> SubscriberCount {
        SubscriberCount(total: onThisNode, onThisNode: onThisNode, nodesReporting: 1)
    }
}
