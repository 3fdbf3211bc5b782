import Foundation
import HeraldClient
import NIOCore
import TestSupport
import Testing

/// A gray failure between a node and Redis, for ``FailoverScenarioTests``: node 1 reaches Redis through a
/// ``TCPRelay`` that goes silent (stops forwarding, closes nothing) for 20 s, while a steady publisher keeps
/// publishing through node 2 and 100 reconnecting clients stream through HAProxy. Node 1 must report not ready
/// within 3 s, answer publishes with a fast `503` and `Retry-After`, close its streams after the outage grace
/// so that its clients resume on the healthy nodes, and every client must get every event once, in order,
/// never waiting much longer than detection + grace + reconnect for an event.
///
/// The nodes use short health settings (probe every 500 ms, silent after 1.5 s, grace 2 s) so that the
/// scenario stays short; the defaults (1 s, 3 s, 5 s) behave the same, scaled.
enum SilentRedisLink {
    static let healthTimeout = Duration.milliseconds(1500)
    static let outageGrace = Duration.seconds(2)
    static let drainWindow = Duration.milliseconds(500)
    static let requestTimeout = Duration.seconds(10)

    /// The scenario: 100 clients, node 1 behind the relay, publishing through node 2.
    static var scenario: FailoverScenario {
        var scenario = FailoverScenario(name: "Redis link of node 1 silent for 20 s")
        scenario.clientCount = 100
        scenario.relayedNode = 0
        scenario.extraArguments = ["--redis-health-interval", "500ms", "--redis-health-timeout", "1500ms", "--redis-outage-grace", "2s"]
        scenario.publishPort = { $0.nodes[1].port }
        // why: detection (health timeout plus a check period), the grace, the drain window, the client's
        // retry (200 ms) and a reconnect with catch-up in a debug build on a loaded box (3 s).
        scenario.longestWaitAllowed = healthTimeout + outageGrace + drainWindow + .seconds(3)
        return scenario
    }

    /// The fault and its checks; returns what happened, with the figures measured.
    static func silence(_ cluster: FailoverCluster) async throws -> String {
        let node = cluster.nodes[0]
        let relay = try #require(cluster.relay)
        let streamsBefore = await node.openStreams() ?? 0
        #expect(streamsBefore > 0, "node 1 should hold some of the clients before its link goes silent")
        let silentAt = ContinuousClock.now
        relay.goSilent()
        // A publish sent at once waits at most for the health timeout; one sent later fails at once.
        async let early = publish(to: node.port)
        let (detection, slowestReadyz) = try await waitUntilNotReady(node, since: silentAt)
        let first = try await early
        let second = try await publish(to: node.port)
        for (label, result) in [("first", first), ("second", second)] {
            #expect(result.status == 503 && result.retryAfter != nil, "\(label) publish on the silent node: \(result)")
            #expect(result.elapsed < requestTimeout, "\(label) publish on the silent node took \(result.elapsed)")
        }
        #expect(detection <= .seconds(3), "node 1 reported not ready after \(detection)")
        #expect(slowestReadyz < .seconds(2), "/readyz took \(slowestReadyz) to answer")
        try await poll(timeout: .seconds(15), "node 1 closing its streams after the outage grace") {
            await node.openStreams() == 0
        }
        let evacuated = ContinuousClock.now - silentAt
        // why: the fault itself: the link stays silent this long while publishing goes on through node 2.
        try await Task.sleep(until: silentAt + .seconds(20))
        relay.resume()
        try await poll(timeout: .seconds(20), "node 1 ready again after its link recovered") {
            await node.status("/readyz") == 200
        }
        return "node 1's Redis link silent for 20 s: not ready after \(detection) (slowest /readyz answer \(slowestReadyz)), "
            + "publishes on it answered \(first.status) in \(first.elapsed) and \(second.status) in \(second.elapsed), "
            + "its \(streamsBefore) streams closed within \(evacuated), ready again \(ContinuousClock.now - silentAt) after the silence began"
    }

    struct PublishResult: CustomStringConvertible {
        var status: Int
        var retryAfter: String?
        var elapsed: Duration
        var description: String { "status \(status), retry-after \(retryAfter ?? "none"), after \(elapsed)" }
    }

    /// One publish straight to `port` (not through the balancer, which would retry it on another node).
    static func publish(to port: Int) async throws -> PublishResult {
        let started = ContinuousClock.now
        let body = ByteBuffer(string: "{\"topic\":\"silent-probe\",\"data\":\"probe\"}")
        // why: longer than the node's request timeout, so that a publish hanging past it is seen as such.
        let response = try await HeraldHTTPClient.request(
            port: port, method: .POST, path: "/publish", headers: [("content-type", "application/json")], body: body,
            timeout: requestTimeout + .seconds(5)
        )
        return PublishResult(status: response.status, retryAfter: response.header("retry-after"), elapsed: .now - started)
    }

    /// Polls `/readyz` until it is not 200; returns how long after `since` that was, and the slowest answer.
    static func waitUntilNotReady(_ node: HeraldNodeProcess, since: ContinuousClock.Instant) async throws -> (Duration, Duration) {
        var slowest = Duration.zero
        while true {
            let asked = ContinuousClock.now
            let status = await node.status("/readyz")
            slowest = max(slowest, .now - asked)
            if status != 200 { return (asked - since, slowest) }
            guard ContinuousClock.now - since < .seconds(15) else { throw FailoverFailure("node 1 stayed ready for 15 s with a silent link") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
