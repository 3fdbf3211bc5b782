import Foundation
import HeraldClient
import NIOCore
import TestSupport
import Testing

/// examples/browser/index.html in headless Chromium, as examples/README.md says to open it: served by a plain
/// web server on one origin, subscribing across origins to a node whose `--cors-origins` allows it. The test
/// reads the page's title from Chromium's DevTools endpoint (`/json/list`): `Herald: live` once its
/// EventSource is open, then `Herald: N events`.
@Suite(
    "The browser example in Chromium",
    .enabled(if: RedisServerProcess.isRequired || HeadlessChromium.executable != nil),
    // why: Chromium starts in a few seconds; more on a loaded CI box.
    .timeLimit(.minutes(2))
)
struct BrowserExampleTests {
    static let page = HeraldNodeProcess.repository.appendingPathComponent("examples/browser").path

    @Test("the example page receives events published to its topic from another origin")
    func pageReceivesEvents() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("browser-example-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ports = try await LoopbackPort.free(count: 3)
        let (nodePort, pagePort, debuggingPort) = (ports[0], ports[1], ports[2])
        let node = HeraldNodeProcess(name: "node", port: nodePort, arguments: ["--cors-origins", "http://127.0.0.1:\(pagePort)"], logDirectory: directory)
        try await node.start()
        defer { node.stop() }
        let pageServer = try await ChildProcess.spawnInTurn(
            "/usr/bin/python3", ["python3", "-m", "http.server", "\(pagePort)", "--bind", "127.0.0.1", "--directory", Self.page],
            logPath: directory + "/page-server.log"
        )
        defer { ChildProcess.terminate(pageServer) }
        try await LoopbackPort.waitUntilAccepting(pagePort, what: "the page server", timeout: .seconds(10))
        let topic = "example-\(UUID().uuidString.prefix(8))"
        let url = "http://127.0.0.1:\(pagePort)/index.html?server=http://127.0.0.1:\(nodePort)&topic=\(topic)"
        let browser = try await HeadlessChromium.open(url, directory: directory, debuggingPort: debuggingPort)
        defer { ChildProcess.terminate(browser) }

        var passed = false
        defer { if passed { try? FileManager.default.removeItem(atPath: directory) } }
        do {
            // why: Chromium needs a few seconds to start in a container, more on a loaded CI box;
            // 60 s: with the other browser suites beside it on a loaded CI box, 40 s once passed before the
            // page had loaded at all.
            try await poll(timeout: .seconds(60), "the page's EventSource to open") { await Self.title(debuggingPort) == "Herald: live" }
            for n in 1...3 {
                let body = ByteBuffer(string: "{\"topic\":\"\(topic)\",\"data\":\"event \(n)\"}")
                let response = try await HeraldHTTPClient.request(
                    port: nodePort, method: .POST, path: "/publish", headers: [("content-type", "application/json")], body: body
                )
                #expect(response.status == 200)
            }
            try await poll(timeout: .seconds(10), "the page to show three events") { await Self.title(debuggingPort) == "Herald: 3 events" }
            passed = true
        } catch {
            Issue.record("\(error)\n\(node.logTail())\n--- chromium\n\(BrowserFailoverTests.tail(HeadlessChromium.logPath(directory)))")
        }
    }

    /// The title of the first page Chromium shows, from its DevTools endpoint; nil until it answers.
    static func title(_ debuggingPort: Int) async -> String? {
        guard let response = try? await HeraldHTTPClient.request(port: debuggingPort, path: "/json/list", timeout: .seconds(2)) else { return nil }
        struct Target: Decodable { var type: String; var title: String }
        let targets = try? JSONDecoder().decode([Target].self, from: Data(response.bodyText.utf8))
        return targets?.first { $0.type == "page" }?.title
    }
}
