import Foundation
import HeraldClient
import TestSupport
import Testing

/// Two `herald serve` processes sharing one Redis: `GET /topics/{topic}` on either adds up both nodes'
/// subscribers, and once one is killed with SIGKILL (no drain, no goodbye) its subscribers leave the count
/// when its report expires.
@Suite(
    "Subscriber counts across nodes when a node is killed",
    .serialized,
    .enabled(if: RedisServerProcess.isRequired || (RedisServerProcess.isAvailable && HeraldNodeProcess.isAvailable)),
    // why: two node starts, a report interval, then the expiry (6 s); 2 minutes bounds a hung process.
    .timeLimit(.minutes(2))
)
struct SubscriberCountTests {
    func info(_ node: HeraldNodeProcess, _ topic: String) async throws -> TopicInfo {
        let response = try await HeraldHTTPClient.request(port: node.port, path: "/topics/" + topic, timeout: .seconds(5))
        guard response.status == 200 else { throw FailoverFailure("GET /topics/\(topic): \(response.status) \(response.bodyText)") }
        return try JSONDecoder().decode(TopicInfo.self, from: Data(response.bodyText.utf8))
    }

    /// Asks `node` until `done` holds for its answer or 30 s have passed; returns the last answer.
    func eventually(_ node: HeraldNodeProcess, _ topic: String, _ done: (TopicInfo) -> Bool) async throws -> TopicInfo {
        // why: a report expires 6 s after the node's last one; 30 s bounds a loaded machine, and the poll ends
        // as soon as the count is right. No timing is asserted.
        let deadline = ContinuousClock.now + .seconds(30)
        var answer = try await info(node, topic)
        while !done(answer), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            answer = try await info(node, topic)
        }
        return answer
    }

    @Test("a killed node's subscribers drop out of the count on the surviving node within the report expiry")
    func killedNodeDropsOut() async throws {
        let redis = try await RedisServerProcess.start()
        defer { redis.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-counts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let prefix = "counts-\(UUID().uuidString.prefix(8))"
        let ports = try await LoopbackPort.free(count: 2)
        let nodes = ports.enumerated().map { index, port in
            HeraldNodeProcess(
                name: "herald-\(index + 1)", port: port,
                arguments: ["--redis-url", redis.url, "--key-prefix", prefix, "--drain-grace", "0", "--drain-window", "100ms", "--log-level", "info"],
                logDirectory: directory
            )
        }
        defer { nodes.forEach { $0.stop() } }
        for node in nodes { try await node.start() }
        let survivor = try await HeraldHTTPClient.openEventStream(port: nodes[0].port, path: "/events?topic=orders%2F42")
        var doomed: [SSEStream] = []
        for _ in 0..<3 { doomed.append(try await HeraldHTTPClient.openEventStream(port: nodes[1].port, path: "/events?topic=orders%2F42")) }

        let summed = try await eventually(nodes[0], "orders%2F42") { $0.subscribers == 4 }
        #expect(summed.subscribers == 4 && summed.subscribersOnThisNode == 1 && summed.nodesReporting == 2, "\(nodes[1].logTail())")

        nodes[1].kill9()
        let after = try await eventually(nodes[0], "orders%2F42") { $0.subscribers == 1 && $0.nodesReporting == 1 }
        #expect(after.subscribers == 1 && after.subscribersOnThisNode == 1 && after.nodesReporting == 1, "\(nodes[0].logTail())")
        #expect(nodes[0].log().contains("herald.node.id"), "the node logs its id at startup")
        for stream in doomed { await stream.close() }
        await survivor.close()
    }
}
