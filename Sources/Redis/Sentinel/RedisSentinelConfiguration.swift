import NIOCore

/// How to find a primary through Redis Sentinel: the sentinels, the name they monitor it by, and how the
/// connections to the primary are made.
public struct RedisSentinelConfiguration: Sendable {
    /// The sentinels to ask, in order; any one that answers will do.
    public var sentinels: [RedisServerAddress]
    /// The master name the sentinels monitor (`sentinel monitor <name> …`).
    public var masterName: String
    /// Credentials, timeouts and pool size of the connections to the primary (host and port come from the
    /// sentinels).
    public var node: RedisConfiguration
    /// The password of the sentinels themselves (`requirepass` in their configuration), sent with `AUTH` on
    /// every connection to a sentinel; not the primary's (that is `node.password`).
    public var sentinelPassword: String?
    /// The ACL user of the sentinels (`AUTH user password`); needs `sentinelPassword`.
    public var sentinelUsername: String?
    // why: a sentinel failover takes seconds (down-after-milliseconds plus an election); asking once a second
    // finds the new primary soon after, for one small command.
    /// How often the sentinels are asked whether the primary moved, while connected. Default 1 s.
    public var checkInterval: TimeAmount = .seconds(1)

    public init(sentinels: [RedisServerAddress], masterName: String, node: RedisConfiguration) {
        self.sentinels = sentinels
        self.masterName = masterName
        self.node = node
    }

    /// Throws ``RedisError/Code/invalidConfiguration`` naming the first invalid setting.
    public func validate() throws(RedisError) {
        guard !sentinels.isEmpty else { throw RedisError(.invalidConfiguration, message: "no Redis Sentinel address is given") }
        guard !masterName.isEmpty else { throw RedisError(.invalidConfiguration, message: "the Redis Sentinel master name is empty") }
        guard sentinelUsername == nil || sentinelPassword != nil else {
            throw RedisError(.invalidConfiguration, message: "a Redis Sentinel username is set without a password; AUTH needs both")
        }
        for sentinel in sentinels {
            try sentinelConfiguration(sentinel).validate()
        }
    }

    /// The configuration of a connection to `sentinel`.
    func sentinelConfiguration(_ sentinel: RedisServerAddress) -> RedisConfiguration {
        RedisConfiguration(
            host: sentinel.host, port: sentinel.port, password: sentinelPassword, username: sentinelUsername,
            connectTimeout: node.connectTimeout, commandTimeout: node.commandTimeout
        )
    }
}
