import Foundation
import HeraldClient
import NIOCore
import TestSupport
import Testing

/// A real browser: headless Chromium opens Resources/browser-test.html through nginx (deploy/nginx.conf,
/// templated), whose native `EventSource` subscribes to a topic. The node the page is connected to is killed
/// with SIGKILL while events are published; the page reconnects by itself and, after the end marker,
/// publishes what it received, which must be every event once, in order.
@Suite(
    "A real browser through nginx",
    .serialized,
    .enabled(if: RedisServerProcess.isRequired || (HeadlessChromium.executable != nil && FailoverCluster.missingBinaries(.nginx).isEmpty)),
    // why: Chromium starts in a few seconds; the scenario itself takes about ten.
    .timeLimit(.minutes(2))
)
struct BrowserFailoverTests {
    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/browser-test.html")

    @Test("an EventSource in Chromium gets every event once, in order, when its edge is killed")
    func browserSurvivesKilledEdge() async throws {
        let cluster = try await FailoverCluster.start(.nginx) { directory in
            "        location = /browser-test.html {\n            root \(directory);\n        }\n"
        }
        var passed = false
        defer { cluster.shutdown(keepingFiles: !passed) }
        try FileManager.default.copyItem(atPath: Self.page.path, toPath: cluster.balancer.directory + "/browser-test.html")
        let topic = "browser-\(UUID().uuidString.prefix(8))"
        let report = topic + "-report"
        let url = "http://127.0.0.1:\(cluster.balancer.port)/browser-test.html?topic=\(topic)&report=\(report)"
        let browser = try await HeadlessChromium.open(url, directory: cluster.directory)
        defer { ChildProcess.terminate(browser) }

        do {
            // why: Chromium needs a few seconds to start in a container, more on a loaded CI box.
            try await poll(timeout: .seconds(30), "the page's EventSource to connect") {
                await cluster.nodeWithMostStreams().counts.contains(1)
            }
            let (edge, counts) = await cluster.nodeWithMostStreams()
            let publisher = SteadyPublisher(port: cluster.balancer.port, topics: [topic], eventsPerSecond: 40)
            let publishing = Task { try await publisher.run() }
            try await poll(timeout: .seconds(10), "events before the kill") { publisher.snapshot.total >= 40 }
            edge.kill9()
            let atKill = publisher.snapshot.total
            try await poll(timeout: .seconds(20), "events after the kill") { publisher.snapshot.total >= atKill + 60 }
            publisher.stop()
            let published = try await publishing.value.total
            try await publishEndMarker(topic: topic, port: cluster.balancer.port)

            var recordJSON: String?
            // why: the page publishes its record right after the end marker; 20 s bounds a page that never does.
            try await poll(timeout: .seconds(20), "the page's record") {
                recordJSON = (try? cluster.storedLines(topic: report))?.first { $0.hasPrefix("{") }
                return recordJSON != nil
            }
            let record = try JSONDecoder().decode(PageRecord.self, from: Data((recordJSON ?? "").utf8))
            let numbers = record.received.map { Int($0.split(separator: "#").last ?? "") ?? -1 }
            print("""
                [failover] browser: killed \(edge.name) holding the page (streams per node: \(counts.map { $0.map(String.init) ?? "?" })); \
                \(published) events published, \(record.received.count) received by Chromium, \
                \(record.opens) opens, \(record.errors) errors (reconnections), other events \(record.other)
                """)
            #expect(numbers == Array(1...published), "Chromium: \(ClientFleet.difference(numbers, Array(1...published)))")
            #expect(record.opens >= 2, "the page should have reconnected after its edge was killed")
            #expect(record.other.isEmpty)
            passed = numbers == Array(1...published) && record.opens >= 2 && record.other.isEmpty
        } catch {
            Issue.record("\(error)\n\(cluster.diagnostics())\n--- chromium\n\(Self.tail(HeadlessChromium.logPath(cluster.directory)))")
        }
    }

    /// What the page publishes: the message data in arrival order, EventSource open and error counts.
    struct PageRecord: Decodable {
        var received: [String]
        var opens: Int
        var errors: Int
        var other: [String]
    }

    /// Publishes `<topic>#end` through the balancer, retrying until acknowledged (bounded).
    func publishEndMarker(topic: String, port: Int) async throws {
        let body = ByteBuffer(string: "{\"topic\":\"\(topic)\",\"data\":\"\(topic)#end\"}")
        try await poll(timeout: .seconds(10), "the end marker to be published") {
            let response = try? await HeraldHTTPClient.request(
                port: port, method: .POST, path: "/publish",
                headers: [("content-type", "application/json"), ("Idempotency-Key", "\(topic)-end")], body: body
            )
            return response?.status == 200
        }
    }

    static func tail(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").suffix(15).joined(separator: "\n")
    }
}
