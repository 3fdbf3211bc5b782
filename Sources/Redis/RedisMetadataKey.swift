import Logging

/// The swift-log metadata keys of the `Redis` module, defined once.
///
/// Values under these keys never hold payloads or credentials.
enum RedisMetadataKey {
    /// A process-unique number identifying one connection in the logs.
    static let connectionID = "redis.connection.id"
    /// The `host:port` of the Redis server.
    static let server = "redis.server"
    /// A pub/sub channel name.
    static let channel = "redis.channel"
    /// The number of channels involved (re-subscription).
    static let channelCount = "redis.channel.count"
    /// The kind of an unsolicited pub/sub push (`unsubscribe`...).
    static let pushKind = "redis.push.kind"
    /// The description of an error.
    static let error = "redis.error"
    /// The command timeout that expired, in milliseconds.
    static let timeoutMilliseconds = "redis.timeout.ms"
    /// How long a link had sent nothing when it was declared silent, in milliseconds.
    static let silentMilliseconds = "redis.silent.ms"
    /// How long the connection was down before it came back, in milliseconds.
    static let outageMilliseconds = "redis.outage.ms"
    /// Why a connection closed.
    static let reason = "redis.reason"
    /// The index of a command connection in the client's pool.
    static let poolSlot = "redis.pool.slot"
}
