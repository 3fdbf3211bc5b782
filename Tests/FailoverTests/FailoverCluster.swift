import Foundation
import HeraldClient
import TestSupport

/// Redis, three `herald serve` processes and a load balancer in front, all real processes on loopback.
///
/// Redis keeps an append-only file fsynced on every write, so that a restart keeps every acknowledged
/// publish. Each cluster uses its own key prefix, so clusters never share keys. The nodes use short
/// timings, so that a scenario fits in seconds: heartbeat 1 s, retry 200 ms, drain grace 300 ms, drain
/// window 500 ms. ``shutdown()`` stops everything; ``diagnostics()`` is the tail of every log.
///
/// With `relayedNode`, that node reaches Redis through a ``TCPRelay`` (``relay``), which a test can make
/// go silent; `extraArguments` are added to every node's command line.
final class FailoverCluster: Sendable {
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
        let ports = try await LoopbackPort.free(count: 3)
        let relay = relayedNode == nil ? nil : try await TCPRelay.start(upstreamPort: redis.port)
        let nodes = ports.enumerated().map { index, port in
            HeraldNodeProcess(
                name: "herald-\(index + 1)", port: port,
                arguments: [
                    "--redis-url", index == relayedNode ? "redis://127.0.0.1:\(relay!.port)" : redis.url, "--key-prefix", keyPrefix, "--heartbeat", "1s", "--retry", "200ms",
                    "--drain-grace", "300ms", "--drain-window", "500ms", "--log-level", "info",
                ] + extraArguments,
                logDirectory: directory
            )
        }
        do {
            for node in nodes { try await node.start() }
            let balancer = try await LoadBalancerProcess.start(kind, upstreamPorts: ports, extraLocations: extraLocations)
            let cluster = FailoverCluster(redis: redis, relay: relay, nodes: nodes, balancer: balancer, keyPrefix: keyPrefix, directory: directory)
            try await cluster.waitUntilBalancerRoutes()
            return cluster
        } catch {
            let logs = nodes.map { $0.logTail(lines: 10) }.joined(separator: "\n")
            nodes.forEach { $0.stop() }
            relay?.stop()
            redis.stop()
            throw FailoverFailure("cluster did not start: \(error)\n\(logs)")
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

    /// Waits (bounded) until `/readyz` answers 200 through the balancer (HAProxy has checked a node up).
    func waitUntilBalancerRoutes(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while (try? await HeraldHTTPClient.request(port: balancer.port, path: "/readyz", timeout: .seconds(2)).status) != 200 {
            guard ContinuousClock.now < deadline else { throw FailoverFailure("the balancer routes nothing within \(timeout)") }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// The node holding the most open streams according to `/healthz`, with the counts of all nodes.
    func nodeWithMostStreams() async -> (node: HeraldNodeProcess, counts: [Int?]) {
        var counts: [Int?] = []
        for node in nodes { counts.append(await node.openStreams()) }
        let best = counts.indices.max { (counts[$0] ?? -1) < (counts[$1] ?? -1) } ?? 0
        return (nodes[best], counts)
    }

    /// SIGTERM, wait for a clean exit (bounded), start again on the same port, wait until ready.
    func restartGracefully(_ node: HeraldNodeProcess) async throws {
        node.terminate()
        // why: drain grace 300 ms + drain window 500 ms + finishing publishes; 10 s is generous on a loaded box.
        let exit = node.waitForExit(timeout: 10)
        guard exit == .exited(0) else {
            throw FailoverFailure("\(node.name) did not exit 0 after SIGTERM (\(String(describing: exit))): \(node.logTail())")
        }
        try await node.start()
    }

    /// Publishes that HAProxy itself retried (its log's retries field is not 0), which the publisher never
    /// sees: a node died or answered 503 or nothing, and the same request, with its idempotency key, went
    /// to another node. Nil for nginx.
    func balancerRetriedPublishes() -> Int? {
        guard balancer.kind == .haproxy else { return nil }
        let log = (try? String(contentsOfFile: balancer.logPath, encoding: .utf8)) ?? ""
        return log.matches(of: /\d+\/\d+\/\d+\/\d+\/\+?([1-9]\d*) \d+\/\d+ "POST \/publish/).count
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

    /// The end of every log, to explain a failure.
    func diagnostics() -> String {
        (nodes.map { $0.logTail() } + [balancer.logTail()]).joined(separator: "\n")
    }
}

struct FailoverFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
