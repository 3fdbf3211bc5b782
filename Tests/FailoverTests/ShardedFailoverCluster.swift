import Foundation
import Redis
import TestSupport

/// Two `herald serve` processes on a Redis Cluster (`--redis-cluster` with every node as a seed) behind a load
/// balancer, all real processes on loopback.
///
/// The Redis Cluster is not its own: a suite shares one (``SharedRedisCluster``), each test with its own
/// edges and key prefix, so that tests never share keys. ``shutdown(keepingFiles:)`` stops the edges only.
final class ShardedFailoverCluster: BalancedEdges {
    let redis: RedisClusterProcess
    let nodes: [HeraldNodeProcess]
    let balancer: LoadBalancerProcess
    let keyPrefix: String
    let directory: String

    /// Starts two nodes on `redis` with `extraArguments` (e.g. `--publish-replicas 1`) and `kind` in front.
    static func start(on redis: RedisClusterProcess, _ kind: LoadBalancerConfig.Kind = .haproxy, extraArguments: [String] = []) async throws -> ShardedFailoverCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-sharded-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keyPrefix = "sharded-\(UUID().uuidString.prefix(8))"
        let (nodes, balancer) = try await startEdges(kind, count: 2, directory: directory, extraArguments: extraArguments) { _ in
            ["--redis-cluster", redis.seeds, "--key-prefix", keyPrefix]
        }
        return ShardedFailoverCluster(redis: redis, nodes: nodes, balancer: balancer, keyPrefix: keyPrefix, directory: directory)
    }

    private init(redis: RedisClusterProcess, nodes: [HeraldNodeProcess], balancer: LoadBalancerProcess, keyPrefix: String, directory: String) {
        self.redis = redis
        self.nodes = nodes
        self.balancer = balancer
        self.keyPrefix = keyPrefix
        self.directory = directory
    }

    /// The hash slot of `topic`'s keys (its name is their hash tag).
    static func slot(of topic: String) -> Int {
        RedisHashSlot.of("{\(topic)}")
    }

    /// `topic`'s stream and meta hash, the keys a publish reads first.
    func historyKeys(of topic: String) -> [String] {
        ["\(keyPrefix):{\(topic)}:stream", "\(keyPrefix):{\(topic)}:meta"]
    }

    /// The data fields of `topic`'s Redis stream that start with `topic#`, in stream order, read on the master
    /// that serves it now.
    func storedData(topic: String) async throws -> [String] {
        let master = try await redis.master(ofSlot: Self.slot(of: topic))
        return try RedisCLI.run(port: master.port, ["--raw", "XRANGE", historyKeys(of: topic)[0], "-", "+"])
            .split(separator: "\n").map(String.init).filter { $0.hasPrefix(topic + "#") }
    }

    /// Stops the edges (not the Redis Cluster); deletes their logs too when `keepingFiles` is false.
    func shutdown(keepingFiles: Bool = true) {
        balancer.stop()
        nodes.forEach { $0.stop() }
        if !keepingFiles {
            balancer.removeFiles()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
