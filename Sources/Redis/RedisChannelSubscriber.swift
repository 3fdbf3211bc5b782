import ServiceLifecycle

/// Sharded pub/sub as a broker uses it: one server's ``RedisSubscriber`` or a cluster's
/// ``RedisClusterSubscriber``. Local subscribers of a channel share one Redis subscription.
public protocol RedisChannelSubscriber: Service, Sendable {
    /// Whether the subscriber connections are open (in a cluster, to every master).
    var isConnected: Bool { get }
    /// Adds a local subscriber to `channel`; returns once Redis confirmed the subscription.
    func subscribe(to channel: String) async throws
    /// Removes one local subscriber of `channel`; the last one unsubscribes it in Redis.
    func unsubscribe(from channel: String)
    /// What is held per channel now, for the leak counters of `/stats`.
    func entries() async -> RedisSubscriber.Entries
}

extension RedisSubscriber: RedisChannelSubscriber {}

extension RedisClusterSubscriber: RedisChannelSubscriber {
    /// The shards' entries added up, with this subscriber's own per-channel entries (local subscriber counts and
    /// placements) in `channels`, so that a leak here shows too: all zero once every local subscriber left.
    public func entries() async -> RedisSubscriber.Entries {
        var total = RedisSubscriber.Entries(channels: ownEntries, resubscribing: 0, waiters: 0, pendingReplies: 0)
        for subscriber in shardSubscribers {
            let entries = await subscriber.entries()
            total.channels += entries.channels
            total.resubscribing += entries.resubscribing
            total.waiters += entries.waiters
            total.pendingReplies += entries.pendingReplies
        }
        return total
    }
}
