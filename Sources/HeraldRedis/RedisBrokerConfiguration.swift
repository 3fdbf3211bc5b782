import HeraldCore
import NIOCore
import Redis

/// Settings of the Redis broker.
public struct RedisBrokerConfiguration: Sendable {
    /// Where Redis is and how to connect; with `cluster`, the credentials, timeouts and pool size of every
    /// cluster node's connections (its host and port are not used).
    public var connection: RedisConfiguration
    /// A Redis Cluster to use instead of the one server of `connection`: its seeds and slot-map settings.
    public var cluster: RedisClusterConfiguration?
    /// A primary found through Redis Sentinel instead of `connection`'s host and port (whose credentials,
    /// timeouts and pool size are used).
    public var sentinel: RedisSentinelConfiguration?
    /// Prefix of every key: `<prefix>:{<topic>}:stream`, `…:meta`, `…:live` (`RedisBroker.Keys`). On a cluster it
    /// must not contain `{`, which would change the keys' hash tag.
    public var keyPrefix = "herald"
    public var retention: RetentionPolicy
    /// How long a topic's epoch and ordinal outlive its last event when `retention.maxAge` is set.
    /// why: a client resuming after its topic's events expired must still learn that it missed nothing
    /// (or exactly what it missed), which needs the last ordinal; a week covers a weekend offline.
    public var metaTimeToLive: Duration = .seconds(7 * 24 * 3600)
    /// How long the node may be cut off from Redis (its subscriber connection lost, or silent past the health
    /// timeout) before it closes its streams so that their clients resume on nodes that reach Redis.
    /// why: shorter outages (a Redis restart, a failover) heal in place without moving anyone; 5 s is past
    /// the time a load balancer needs to take the node out after `/readyz` turns 503 (2 checks of 2 s).
    public var outageGrace: TimeAmount = .seconds(5)
    /// The window over which those streams close, at random moments.
    /// why: spreads the reconnects over the healthy nodes instead of a stampede; the same as the drain window.
    public var outageWindow: TimeAmount = .seconds(3)
    /// Replicas that must hold a publish before it is acknowledged (`WAIT`); 0 acknowledges once the primary
    /// (or the topic's cluster master) stored it.
    /// why: replication is asynchronous; a primary that dies can take its last acknowledged events with it.
    public var publishReplicas = 0
    /// How long a publish waits for `publishReplicas`; past it, the publish is refused (503), though it may exist.
    /// why: a second covers a healthy replica's lag many times over, and keeps a publisher's request short.
    public var publishReplicasTimeout: Duration = .seconds(1)
    /// How this node reports its subscriber counts for `GET /topics/{topic}` on every node.
    public var subscriberReport = SubscriberReportSettings()

    public init(connection: RedisConfiguration, retention: RetentionPolicy) {
        self.connection = connection
        self.retention = retention
    }
}

/// How often a node reports its per-topic subscriber counts to Redis, and how long a report outlives the node.
public struct SubscriberReportSettings: Sendable {
    /// Time between two reports. why: 2 s keeps a count read on another node at most a couple of seconds
    /// old, and costs one script call per node per interval when nothing changed (see docs/benchmarks.md).
    public var interval: Duration = .seconds(2)
    /// How long a report lives unless refreshed. why: three intervals; a report survives two lost refreshes
    /// (a Redis blip, a busy node), and a killed node's subscribers still leave the count within 6 s.
    public var expiry: Duration = .seconds(6)

    public init() {}
}
