/// How many entries each structure keyed by topic (or by a topic's Redis channel) holds now, by name.
///
/// Every such structure releases a topic's entry once the topic's last stream on the node has left; only
/// retained history outlives its streams (the memory backend's `memoryTopics`, until retention or the topic
/// cap drops them). So on a node with no open stream every other count is zero, and a count that stays up
/// after the streams closed is a leak that shows as a number rather than as RSS. `GET /stats` serves the
/// counts under `perTopicEntries`.
public struct PerTopicEntries: Sendable, Equatable {
    /// Topics with at least one stream, summed over the fan-out's event loops.
    public static let fanOutTopics = "fanOutTopics"
    /// Topics with a shared catch-up read in flight or waiting.
    public static let sharedHistoryReads = "sharedHistoryReads"
    /// Memory backend: topics with retained history.
    public static let memoryTopics = "memoryTopics"
    /// Memory backend: entries of the publish-recency order (at most about twice `memoryTopics`).
    public static let memoryRecency = "memoryRecency"
    /// Redis backend: channels the subscriber tracks (subscribed, or a command for them in flight).
    public static let redisChannels = "redisChannels"
    /// Redis backend: channels re-subscribed after a reconnect whose confirmation is awaited.
    public static let redisResubscribing = "redisResubscribing"
    /// Redis backend: subscribes waiting for Redis to confirm their channel.
    public static let redisSubscribeWaiters = "redisSubscribeWaiters"
    /// Redis backend: (un)subscribe confirmations the subscriber connection's demultiplexer expects.
    public static let redisPendingConfirmations = "redisPendingConfirmations"

    /// The count of each structure, by name.
    public private(set) var counts: [String: Int]

    public init(_ counts: [(String, Int)] = []) {
        self.counts = Dictionary(counts, uniquingKeysWith: +)
    }

    /// Adds `other`'s counts to these (summing a structure present in both).
    public mutating func merge(_ other: PerTopicEntries) {
        counts.merge(other.counts, uniquingKeysWith: +)
    }

    /// The count of structure `name` (0 when it is not reported).
    public subscript(name: String) -> Int {
        counts[name] ?? 0
    }

    /// `{"fanOutTopics":0,…}`, names sorted.
    public var json: String {
        "{" + counts.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\($0.value)" }.joined(separator: ",") + "}"
    }
}
