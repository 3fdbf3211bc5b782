import Foundation
import HeraldClient
import TestSupport
import Testing

/// The Grafana dashboard (deploy/grafana/herald.json) and the Prometheus alert rules
/// (deploy/prometheus/herald-alerts.yml) against what a live `herald serve` on Redis exposes at `/metrics`.
@Suite(
    "Dashboard and alert rules against a live node's metrics",
    .serialized,
    .enabled(
        if: RedisServerProcess.isRequired || (RedisServerProcess.isAvailable && HeraldNodeProcess.isAvailable),
        "needs redis-server and the built herald (swift build --build-tests)"
    ),
    // why: one redis-server, one node, a few requests.
    .timeLimit(.minutes(1))
)
struct MetricsDeployTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("every metric the dashboard and the alert rules use is one a live node on Redis exposes")
    func deployFilesUseExposedNames() async throws {
        let exposed = try await Self.withNode { node, publishPort in
            let stream = try await node.streamRequest(path: "/events?topic=deploy/metrics")
            _ = try await HeraldHTTPClient.request(
                port: publishPort, method: .POST, path: "/publish", headers: [("content-type", "application/json")],
                body: .init(string: #"{"topic":"deploy/metrics","data":"x"}"#)
            )
            #expect(try await stream.nextEvent(timeout: .seconds(10))?.data == "x")
            await stream.close()
            let scrape = { PrometheusSamples((try? await HeraldHTTPClient.request(port: publishPort, method: .GET, path: "/metrics").bodyText) ?? "") }
            // why: the lag probe takes its first sample 250 ms after the node starts, which may be after it is ready.
            try await poll(timeout: .seconds(10), "the event-loop lag probe's first sample") {
                (await scrape().value("herald_event_loop_lag_seconds_count") ?? 0) > 0
            }
            return await scrape()
        }
        #expect(exposed.value("herald_redis_pubsub_connected") == 1)
        #expect(exposed.value("herald_events_delivered_total") == 1)
        #expect((exposed.value("herald_redis_command_duration_seconds_count") ?? 0) > 0)

        let dashboard = try Self.metricNames(in: Self.dashboardQueries())
        let alerts = try Self.metricNames(in: Self.alertExpressions())
        #expect(dashboard.count >= 20, "the dashboard uses \(dashboard.sorted())")
        #expect(alerts.count >= 10, "the alert rules use \(alerts.sorted())")
        #expect(dashboard.subtracting(exposed.names).sorted() == [], "the dashboard uses names a node does not expose")
        #expect(alerts.subtracting(exposed.names).sorted() == [], "the alert rules use names a node does not expose")
    }

    /// Every `herald_…` name in PromQL `queries` (histograms are used as their `_bucket`, `_sum`, `_count`
    /// series, which is how a node exposes them, so the names compare as written).
    static func metricNames(in queries: [String]) throws -> Set<String> {
        #expect(!queries.isEmpty)
        return Set(queries.flatMap { $0.matches(of: /herald_[a-z0-9_]+/).map { String($0.output) } })
    }

    /// The `expr` of every panel target, and the template variables' queries.
    static func dashboardQueries() throws -> [String] {
        let data = try Data(contentsOf: root.appendingPathComponent("deploy/grafana/herald.json"))
        var queries: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, child) in object {
                    if ["expr", "definition"].contains(key), let text = child as? String { queries.append(text) } else { walk(child) }
                }
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(try JSONSerialization.jsonObject(with: data))
        return queries
    }

    /// The `expr:` of every alert rule (one line each in that file).
    static func alertExpressions() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("deploy/prometheus/herald-alerts.yml"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { $0.firstMatch(of: /^\s*expr:\s*(.+)$/).map { String($0.output.1) } }
    }

    /// Runs `body` with a node on a fresh redis-server, with a separate publish port (where `/metrics` is).
    static func withNode<T: Sendable>(_ body: (HeraldNodeProcess, Int) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-metrics-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let redis = try await RedisServerProcess.start()
        defer { redis.stop() }
        let ports = try await LoopbackPort.free(count: 2)
        let node = HeraldNodeProcess(
            name: "herald-metrics", port: ports[0],
            arguments: ["--redis-url", redis.url, "--key-prefix", "metrics-\(UUID().uuidString.prefix(8))", "--publish-port", "\(ports[1])", "--threads", "2"],
            logDirectory: directory
        )
        try await node.start()
        defer { node.stop() }
        return try await body(node, ports[1])
    }
}

extension HeraldNodeProcess {
    fileprivate func streamRequest(path: String) async throws -> SSEStream {
        try await HeraldHTTPClient.openEventStream(port: port, path: path)
    }
}
