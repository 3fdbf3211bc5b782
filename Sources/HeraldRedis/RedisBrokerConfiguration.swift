import HeraldCore
import NIOCore
import Redis

/// Settings of the Redis broker.
public struct RedisBrokerConfiguration: Sendable {
    /// Where Redis is and how to connect.
    public var connection: RedisConfiguration
    /// Prefix of every key: `<prefix>:{<topic>}:stream`, `…:meta`, `…:live`.
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

    public init(connection: RedisConfiguration, retention: RetentionPolicy) {
        self.connection = connection
        self.retention = retention
    }
}
