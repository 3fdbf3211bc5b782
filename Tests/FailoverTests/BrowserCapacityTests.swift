import Foundation
import HeraldClient
import TestSupport
import Testing

/// A real browser against a full node: headless Chromium opens Resources/browser-test.html through nginx
/// (deploy/nginx.conf, its three upstreams all pointing at the one node), while the node, under a low
/// open-file limit, holds its `--max-connections` streams. The page's first attempts get the retry stream
/// (`herald.unavailable`); once streams close, its `EventSource` gets in by itself and receives every event,
/// without ever reaching `CLOSED`.
@Suite(
    "A real browser against a full node",
    .serialized,
    .enabled(if: RedisServerProcess.isRequired || (HeadlessChromium.executable != nil && CapacityNode.missingBinaries.isEmpty && LoadBalancerProcess.executable(.nginx) != nil)),
    // why: Chromium starts in a few seconds; the scenario itself takes about ten.
    .timeLimit(.minutes(2))
)
struct BrowserCapacityTests {
    /// What the page publishes (see browser-test.html).
    struct PageRecord: Decodable {
        var received: [String]
        var opens: Int
        var errors: Int
        var other: [String]
        var unavailable: Int
        var closed: Bool
    }

    @Test("an EventSource whose first attempts land on a full node receives its events once room frees, and never closes")
    func browserComesBack() async throws {
        let capacity = try await CapacityNode.start(
            descriptors: (soft: 256, hard: 256), redis: true, arguments: ["--unavailable-retry", "300ms", "--heartbeat", "1s"]
        )
        var passed = false
        defer { capacity.stop(keepingFiles: !passed) }
        let fillers = try await capacity.fill(topics: ["filler"])
        let port = capacity.node.port
        let balancer = try await LoadBalancerProcess.start(.nginx, upstreamPorts: [port, port, port]) { directory in
            """
                    location = /browser-test.html {
                        root \(directory);
                    }
                    location = /publish {
                        proxy_pass http://127.0.0.1:\(capacity.publishPort);
                    }

            """
        }
        defer { balancer.stop() }
        try FileManager.default.copyItem(atPath: BrowserFailoverTests.page.path, toPath: balancer.directory + "/browser-test.html")
        let topic = "capacity-\(UUID().uuidString.prefix(8))"
        let report = topic + "-report"
        let browser = try await HeadlessChromium.open(
            "http://127.0.0.1:\(balancer.port)/browser-test.html?topic=\(topic)&report=\(report)", directory: capacity.directory
        )
        defer { ChildProcess.terminate(browser) }

        do {
            // why: Chromium needs a few seconds to start in a container, more on a loaded CI box.
            try await poll(timeout: .seconds(30), "the page to be refused twice") { (await capacity.stat("streamsRefused") ?? 0) >= 2 }
            for (_, stream) in fillers.prefix(5) { await stream.close() }
            try await poll(timeout: .seconds(20), "the page's stream to open") {
                await capacity.node.openStreamsOnPublishPort(capacity.publishPort) == fillers.count - 5 + 1
            }
            for number in 1...20 { try await capacity.publish(topic, "\(topic)#\(number)") }
            try await capacity.publish(topic, "\(topic)#end")
            var recordJSON: String?
            // why: the page publishes its record right after the end marker; 20 s bounds a page that never does.
            try await poll(timeout: .seconds(20), "the page's record") {
                recordJSON = (try? capacity.storedLines(topic: report))?.first { $0.hasPrefix("{") }
                return recordJSON != nil
            }
            let record = try JSONDecoder().decode(PageRecord.self, from: Data((recordJSON ?? "").utf8))
            print("""
                [capacity] browser: \(record.unavailable) herald.unavailable notices, \(record.opens) opens, \(record.errors) errors, \
                \(record.received.count) events received, closed: \(record.closed)
                """)
            #expect(record.received == (1...20).map { "\(topic)#\($0)" })
            #expect(record.unavailable >= 1, "the page's first attempts were refused with the retry stream")
            #expect(!record.closed, "the EventSource never gave up")
            #expect(record.other.isEmpty)
            passed = record.received.count == 20 && record.unavailable >= 1 && !record.closed
        } catch {
            Issue.record("\(error)\n\(capacity.node.logTail())\n\(balancer.logTail())\n--- chromium\n\(BrowserFailoverTests.tail(HeadlessChromium.logPath(capacity.directory)))")
        }
        for (_, stream) in fillers.dropFirst(5) { await stream.close() }
    }
}
