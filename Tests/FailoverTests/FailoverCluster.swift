import Foundation
import HeraldClient
import TestSupport

/// Redis, three `herald serve` processes and a load balancer in front, all real processes on loopback.
///
/// Redis keeps an append-only file fsynced on every write, so that a restart keeps every acknowledged
/// publish. Each cluster uses its own key prefix, so clusters never share keys. The nodes use short
/// timings (``BalancedEdges/shortTimings``), so that a scenario fits in seconds. ``shutdown()`` stops
/// everything; ``diagnostics()`` is the tail of every log.
///
/// With `relayedNode`, that node reaches Redis through a ``TCPRelay`` (``relay``), which a test can make
/// go silent; `extraArguments` are added to every node's command line.
final class FailoverCluster: BalancedEdges {
    let redis: RedisServerProcess
    let relay: TCPRelay?
    let nodes: [HeraldNodeProcess]
    let balancer: LoadBalancerProcess
    let keyPrefix: String
    let directory: String

    /// Whether every binary a cluster needs is installed (and the herald executable is built).
    static func missingBinaries(_ kind: LoadBalancerConfig.Kind) -> [String] {
        var missing: [String] = []
        if !RedisServerProcess.isAvailable { missing.append("redis-server") }
        if RedisCLI.executable == nil { missing.append("redis-cli") }
        if LoadBalancerProcess.executable(kind) == nil { missing.append(kind.rawValue) }
        if !HeraldNodeProcess.isAvailable { missing.append(HeraldNodeProcess.binary + " (swift build --build-tests)") }
        return missing
    }

    static func start(
        _ kind: LoadBalancerConfig.Kind, relayedNode: Int? = nil, extraArguments: [String] = [], extraLocations: (String) -> String = { _ in "" }
    ) async throws -> FailoverCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-failover-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/redis", withIntermediateDirectories: true)
        let redis = try await RedisServerProcess.start(appendOnlyDirectory: directory + "/redis")
        let keyPrefix = "failover-\(UUID().uuidString.prefix(8))"
        do {
            let relay = relayedNode == nil ? nil : try await TCPRelay.start(upstreamPort: redis.port)
            do {
                let (nodes, balancer) = try await startEdges(kind, count: 3, directory: directory, extraArguments: extraArguments, extraLocations: extraLocations) { index in
                    ["--redis-url", index == relayedNode ? "redis://127.0.0.1:\(relay!.port)" : redis.url, "--key-prefix", keyPrefix]
                }
                return FailoverCluster(redis: redis, relay: relay, nodes: nodes, balancer: balancer, keyPrefix: keyPrefix, directory: directory)
            } catch {
                relay?.stop()
                throw error
            }
        } catch {
            redis.stop()
            throw FailoverFailure("cluster did not start: \(error)")
        }
    }

    private init(redis: RedisServerProcess, relay: TCPRelay?, nodes: [HeraldNodeProcess], balancer: LoadBalancerProcess, keyPrefix: String, directory: String) {
        self.redis = redis
        self.relay = relay
        self.nodes = nodes
        self.balancer = balancer
        self.keyPrefix = keyPrefix
        self.directory = directory
    }

    /// `CLIENT KILL TYPE pubsub` on Redis; returns how many connections were killed.
    func killPubSubConnections() throws -> Int {
        let output = try RedisCLI.run(port: redis.port, ["CLIENT", "KILL", "TYPE", "pubsub"])
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The data fields (`d`) of `topic`'s Redis stream that start with `topic#`, in stream order.
    func storedData(topic: String) throws -> [String] {
        try storedLines(topic: topic).filter { $0.hasPrefix(topic + "#") }
    }

    /// Every line of `XRANGE` on `topic`'s Redis stream (ids, field names and one-line values, in order).
    func storedLines(topic: String) throws -> [String] {
        try RedisCLI.run(port: redis.port, ["--raw", "XRANGE", "\(keyPrefix):{\(topic)}:stream", "-", "+"])
            .split(separator: "\n").map(String.init)
    }

    /// Stops everything; deletes the logs and data too when `keepingFiles` is false (the test passed).
    func shutdown(keepingFiles: Bool = true) {
        balancer.stop()
        nodes.forEach { $0.stop() }
        relay?.stop()
        redis.stop()
        if !keepingFiles {
            balancer.removeFiles()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
