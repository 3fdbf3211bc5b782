import Foundation
import TestSupport
import Testing

/// Failover with real processes on loopback: Redis (AOF), three `herald serve` nodes, HAProxy running
/// deploy/haproxy.cfg (nginx running deploy/nginx.conf for one scenario), 200 clients that reconnect with `Last-Event-ID` as browsers do, and a publisher
/// retrying with idempotency keys. After each fault, every client must have every event exactly once, in
/// order, and Redis must hold every event exactly once. The silent Redis link (``SilentRedisLink``) runs here
/// too, so that it never shares the two cores with another cluster.
///
/// Under `CI=true` it always runs (a missing binary fails it); elsewhere it is skipped when redis-server,
/// haproxy or the built `herald` executable is missing.
@Suite(
    "Failover behind a load balancer with 200 reconnecting clients",
    .serialized,
    .enabled(if: RedisServerProcess.isRequired || FailoverCluster.missingBinaries(.haproxy).isEmpty),
    // why: each scenario takes 10-20 s in a debug build; 3 minutes bounds a hung one.
    .timeLimit(.minutes(3))
)
struct FailoverScenarioTests {
    @Test("every client gets every event once, in order, when the edge holding the most clients is killed with SIGKILL")
    func killEdgeWithMostClients() async throws {
        try await FailoverScenario(name: "kill -9 busiest edge").run { cluster in
            let (node, counts) = await cluster.nodeWithMostStreams()
            node.kill9()
            return "killed \(node.name) (streams per node from /healthz: \(counts.map { $0.map(String.init) ?? "?" }))"
        }
    }

    @Test(
        "behind nginx too, every client gets every event once, in order, when the busiest edge is killed with SIGKILL",
        .enabled(if: RedisServerProcess.isRequired || LoadBalancerProcess.executable(.nginx) != nil)
    )
    func killEdgeBehindNginx() async throws {
        try await FailoverScenario(name: "kill -9 busiest edge behind nginx", balancer: .nginx).run { cluster in
            let (node, counts) = await cluster.nodeWithMostStreams()
            node.kill9()
            return "killed \(node.name) (streams per node from /healthz: \(counts.map { $0.map(String.init) ?? "?" }))"
        }
    }

    @Test("every client gets every event once, in order, when an edge drains on SIGTERM and starts again")
    func drainOneEdge() async throws {
        try await FailoverScenario(name: "SIGTERM one edge").run { cluster in
            let (node, counts) = await cluster.nodeWithMostStreams()
            try await cluster.restartGracefully(node)
            return "drained and restarted \(node.name) (streams per node: \(counts.map { $0.map(String.init) ?? "?" }))"
        }
    }

    @Test("every client gets every event once, in order, through a rolling restart of all three edges")
    func rollingRestart() async throws {
        try await FailoverScenario(name: "rolling restart").run { cluster in
            for node in cluster.nodes {
                try await cluster.restartGracefully(node)
            }
            return "restarted \(cluster.nodes.map(\.name).joined(separator: ", ")) one after the other"
        }
    }

    @Test("every client gets every event once, in order, when Redis kills the nodes' pub/sub connections")
    func pubSubConnectionsKilled() async throws {
        try await FailoverScenario(name: "CLIENT KILL TYPE pubsub").run { cluster in
            let killed = try cluster.killPubSubConnections()
            return "CLIENT KILL TYPE pubsub killed \(killed) connections"
        }
    }

    @Test("every client gets every event once, in order, when Redis restarts with its append-only file")
    func redisRestart() async throws {
        try await FailoverScenario(name: "Redis restart (AOF)").run { cluster in
            try await cluster.redis.restart()
            return "restarted Redis on port \(cluster.redis.port) with appendfsync always"
        }
    }

    @Test("a node whose Redis link goes silent for 20 s turns not ready within 3 s, fails publishes fast with 503, and its 100 clients resume on healthy nodes with every event once, in order")
    func silentRedisLink() async throws {
        try await SilentRedisLink.scenario.run { cluster in
            try await SilentRedisLink.silence(cluster)
        }
    }

    @Test("every client gets every event once, in order, when Redis is down for 3 seconds")
    func redisDownForAWhile() async throws {
        try await FailoverScenario(name: "Redis down 3 s").run { cluster in
            cluster.redis.stop()
            // why: the fault itself: Redis stays down this long while the publisher keeps trying.
            try await Task.sleep(for: .seconds(3))
            try await cluster.redis.restart()
            return "Redis was down for 3 s"
        }
    }
}
