import HeraldClient
import TestSupport
import Testing

/// `GET /metrics`: the Prometheus text of a node, where `/stats` is served, and off with `--metrics off`.
@Suite("GET /metrics", .timeLimit(.minutes(1)))
struct MetricsEndpointTests {
    @Test("after events are published and delivered, the counters show them")
    func countsPublishedAndDelivered() async throws {
        try await TestNode.with(.memory) { node in
            let streams = [try await node.stream(["metrics/a"]), try await node.stream(["metrics/a"]), try await node.stream(["metrics/b"])]
            for index in 1...5 { try await node.publish("metrics/a", "a\(index)") }
            try await node.publish("metrics/b", "b1")
            for stream in streams.prefix(2) { #expect(try await stream.events(5).map(\.data) == (1...5).map { "a\($0)" }) }
            #expect(try await streams[2].events(1).map(\.data) == ["b1"])

            let response = try await node.get("/metrics")
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
            let metrics = PrometheusSamples(response.bodyText)
            #expect(metrics.value("herald_events_published_total") == 6)
            #expect(metrics.value("herald_events_delivered_total") == 11, "5 events to 2 streams, 1 to 1")
            #expect(metrics.value("herald_publish_duration_seconds_count") == 6)
            #expect(metrics.value("herald_open_streams") == 3)
            #expect(metrics.value("herald_requests_total", labels: #"endpoint="publish",status="200""#) == 6)
            #expect(metrics.value("herald_requests_total", labels: #"endpoint="events",status="200""#) == 3)
            #expect((metrics.value("herald_connections_accepted_total") ?? 0) >= 4)
            #expect(metrics.value("herald_resets_total", labels: #"reason="history_trimmed""#) == 0)
            for stream in streams { await stream.close() }
        }
    }

    @Test("a stream that resumes counts its replayed events, not as delivered")
    func countsReplayed() async throws {
        try await TestNode.with(.memory) { node in
            let first = try await node.publish("metrics/replay", "1")
            for data in ["2", "3"] { try await node.publish("metrics/replay", data) }
            let resumed = try await node.stream(["metrics/replay"], lastEventID: first)
            #expect(try await resumed.events(2).map(\.data) == ["2", "3"])
            let metrics = PrometheusSamples(try await node.get("/metrics").bodyText)
            #expect(metrics.value("herald_events_replayed_total") == 2)
            #expect(metrics.value("herald_events_delivered_total") == 0)
            await resumed.close()
        }
    }

    @Test("with metrics off, /metrics answers 404 with the JSON error")
    func off() async throws {
        try await TestNode.with(.memory, configure: { $0.metrics = false }) { node in
            let response = try await node.get("/metrics")
            #expect(response.status == 404)
            #expect(response.header("content-type") == "application/json")
            #expect((TestNode.field("message", in: response.bodyText) ?? "").contains("--metrics on"), "\(response.bodyText)")
        }
    }

    @Test("with a publish port, /metrics is served there and not on the main port")
    func onPublishPort() async throws {
        try await TestNode.with(.memory, configure: { $0.publishPort = 0 }) { node in
            let publishPort = try #require(node.publishPort)
            let onPublish = try await HeraldHTTPClient.request(port: publishPort, method: .GET, path: "/metrics")
            #expect(onPublish.status == 200)
            #expect(PrometheusSamples(onPublish.bodyText).names.contains("herald_open_streams"))
            let onMain = try await node.get("/metrics")
            #expect(onMain.status == 404)
            #expect((TestNode.field("message", in: onMain.bodyText) ?? "").contains("--publish-port"))
        }
    }
}
