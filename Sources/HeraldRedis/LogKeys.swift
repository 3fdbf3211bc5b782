/// Metadata keys of HeraldRedis' log messages, defined once.
enum LogKeys {
    /// How long this node has been (or was) cut off from Redis.
    static let outage = "herald.redis.outage"
    /// Whether the node closed its streams during the outage.
    static let evacuated = "herald.redis.evacuated"
    /// The window over which streams are closed.
    static let window = "herald.drain.window"
    /// This node's id in the subscriber reports (random per process start).
    static let node = "herald.node.id"
}
