import Foundation
import HeraldClient
import TestSupport

/// `herald serve` processes behind a load balancer, whatever Redis they use (``FailoverCluster``: one Redis;
/// ``ShardedFailoverCluster``: a Redis Cluster): starting them, and what the failover tests do to the edges.
protocol BalancedEdges: Sendable {
    var nodes: [HeraldNodeProcess] { get }
    var balancer: LoadBalancerProcess { get }
    /// Where the nodes' logs (and anything else of the test) are written.
    var directory: String { get }
}

extension BalancedEdges {
    /// The nodes' timings for every failover test, so that a scenario fits in seconds: heartbeat 1 s, retry
    /// 200 ms, drain grace 300 ms, drain window 500 ms.
    static var shortTimings: [String] {
        ["--heartbeat", "1s", "--retry", "200ms", "--drain-grace", "300ms", "--drain-window", "500ms", "--log-level", "info"]
    }

    /// Starts `count` nodes, node `i` with `redisArguments(i)`, ``shortTimings`` and `extraArguments`, then `kind`
    /// in front of them, and waits until the balancer routes. On failure, stops the nodes it started and throws
    /// with their logs.
    static func startEdges(
        _ kind: LoadBalancerConfig.Kind, count: Int, directory: String, extraArguments: [String] = [],
        extraLocations: (String) -> String = { _ in "" }, redisArguments: (Int) -> [String]
    ) async throws -> (nodes: [HeraldNodeProcess], balancer: LoadBalancerProcess) {
        let ports = try await LoopbackPort.free(count: count)
        let nodes = ports.enumerated().map { index, port in
            HeraldNodeProcess(name: "herald-\(index + 1)", port: port, arguments: redisArguments(index) + shortTimings + extraArguments, logDirectory: directory)
        }
        do {
            for node in nodes { try await node.start() }
            let balancer = try await LoadBalancerProcess.start(kind, upstreamPorts: ports, extraLocations: extraLocations)
            do {
                try await waitUntilRoutes(balancer)
            } catch {
                balancer.stop()
                throw error
            }
            return (nodes, balancer)
        } catch {
            let logs = nodes.map { $0.logTail(lines: 10) }.joined(separator: "\n")
            nodes.forEach { $0.stop() }
            throw FailoverFailure("edges did not start: \(error)\n\(logs)")
        }
    }

    /// Waits (bounded) until `/readyz` answers 200 through the balancer (HAProxy has checked a node up).
    static func waitUntilRoutes(_ balancer: LoadBalancerProcess, timeout: Duration = .seconds(10)) async throws {
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
        let exit = await node.waitForExit(timeout: 10)
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

    /// The end of every log, to explain a failure.
    func diagnostics() -> String {
        (nodes.map { $0.logTail() } + [balancer.logTail()]).joined(separator: "\n")
    }
}

struct FailoverFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
