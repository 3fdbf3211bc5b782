import NIOCore

/// How to reach a Redis Cluster: seed nodes, the settings every node connection uses, and how the slot map
/// is kept fresh.
public struct RedisClusterConfiguration: Sendable {
    /// Nodes to ask for the slot map at startup (any node of the cluster will do); every node is found from them.
    public var seeds: [RedisServerAddress]
    /// Credentials, timeouts, health checks and pool size of each node's connections; its host and port are
    /// replaced by each node's.
    public var node: RedisConfiguration
    // why: a slot map changes only on resharding and failover, both of which also announce themselves
    // (MOVED replies, lost connections); the schedule catches what those miss.
    /// How often the slot map is read again while every master is reachable. Default 10 s.
    public var refreshInterval: TimeAmount = .seconds(10)
    // why: after a master dies its replica is promoted within about node-timeout plus an election (a few
    // seconds); asking every half second finds the new master soon after, for the cost of one small command.
    /// How often the slot map is read again while some master is unreachable. Default 500 ms.
    public var degradedRefreshInterval: TimeAmount = .milliseconds(500)
    /// Where each shard's channels are subscribed (`SSUBSCRIBE`). Default `.masters`.
    public var subscribeOn: SubscriptionNodes = .masters
    /// Most redirections (MOVED, ASK) one command follows before it fails. Default 5.
    public var maxRedirections = 5
    // why: TRYAGAIN means a multi-key command met a slot half migrated; it clears within milliseconds.
    /// Most retries of a command answered `TRYAGAIN`, and the pause between them. Defaults 10 and 20 ms.
    public var maxTryAgain = 10
    public var tryAgainPause: TimeAmount = .milliseconds(20)

    /// Which node of a shard the sharded pub/sub connection goes to.
    public enum SubscriptionNodes: String, Sendable, CaseIterable {
        /// The shard's master, which also runs the publish scripts.
        case masters
        /// One of the shard's online replicas (the master while it has none). Redis propagates sharded
        /// messages to a shard's replicas, so this takes the pub/sub fan-out to the nodes off the master; a
        /// message then arrives once the replica has it (replication lag, usually well under a millisecond).
        case replicas
    }

    public init(seeds: [RedisServerAddress], node: RedisConfiguration) {
        self.seeds = seeds
        self.node = node
    }

    /// The configuration of `node`'s connections.
    func configuration(of node: RedisClusterTopology.Node) -> RedisConfiguration {
        var configuration = self.node
        configuration.host = node.host
        configuration.port = node.port
        return configuration
    }

    /// Throws ``RedisError/Code/invalidConfiguration`` naming the first invalid setting.
    public func validate() throws(RedisError) {
        guard !seeds.isEmpty else { throw RedisError(.invalidConfiguration, message: "no Redis Cluster seed node is given") }
        for seed in seeds {
            try configuration(of: .init(host: seed.host, port: seed.port)).validate()
        }
        guard node.database == 0 else {
            throw RedisError(.invalidConfiguration, message: "Redis Cluster has one database only; do not select database \(node.database)")
        }
    }
}
