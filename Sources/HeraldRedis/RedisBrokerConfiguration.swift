import HeraldCore
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

    public init(connection: RedisConfiguration, retention: RetentionPolicy) {
        self.connection = connection
        self.retention = retention
    }
}
