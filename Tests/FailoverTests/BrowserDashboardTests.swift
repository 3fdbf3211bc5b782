import Foundation
import HeraldClient
import NIOCore
import TestSupport
import Testing

/// The dashboard (`GET /`) in headless Chromium, driven through the DevTools protocol (`DevToolsPage`): the
/// page subscribes to the topic in its URL, shows an event the test publishes, shows it again once after a
/// reload (from `sessionStorage`, resuming with `lastEventId`), and gets what was published while it was away
/// exactly once. The test takes a screenshot: into docs/img/dashboard.png with `HERALD_UPDATE_SCREENSHOTS=1`
/// (how the one in the docs is made), otherwise into the temporary directory, so a test run leaves the tree clean.
@Suite(
    "The dashboard in Chromium",
    .enabled(if: RedisServerProcess.isRequired || HeadlessChromium.executable != nil),
    // why: Chromium starts in a few seconds; more on a loaded CI box.
    .timeLimit(.minutes(2))
)
struct BrowserDashboardTests {
    static let screenshot = ProcessInfo.processInfo.environment["HERALD_UPDATE_SCREENSHOTS"] == "1"
        ? HeraldNodeProcess.repository.appendingPathComponent("docs/img/dashboard.png").path
        : FileManager.default.temporaryDirectory.appendingPathComponent("herald-dashboard-\(UUID().uuidString).png").path
    static let topic = "orders/42"

    /// The data of the events the page shows, oldest first.
    static let shownEvents = "[...document.querySelectorAll('#tail .data')].map((e) => e.textContent).reverse()"
    static let tailState = "document.getElementById('tail').dataset.state"

    @Test("the dashboard tails a topic, and after a reload shows each event once and resumes where it stopped")
    func dashboardTailsAndResumes() async throws {
        try await withDashboard(nodeArguments: []) { page, node, url in
            try await poll(timeout: .seconds(20), "the page to subscribe") { await page.evaluate(Self.tailState) as? String == "live" }

            let first = #"{"status":"paid","total":42.5}"#
            try await publish(first, port: node.port)
            try await poll(timeout: .seconds(10), "the page to show the event") { await Self.shown(page) == [first] }

            // From the reload on, the page records what its content security policy blocks: nothing, it must be.
            let recordViolations = "window.violations = []; document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
            try await page.call("Page.enable")
            try await page.call("Page.addScriptToEvaluateOnNewDocument", ["source": recordViolations])
            // The document before the reload is marked, so that the polls below see the new one.
            _ = await page.evaluate("document.documentElement.dataset.old = 'yes'")
            try await page.call("Page.reload")
            try await poll(timeout: .seconds(20), "the reloaded page to subscribe") {
                await page.evaluate("document.documentElement.dataset.old === undefined && \(Self.tailState) === 'live'") as? Bool == true
            }
            #expect(await Self.shown(page) == [first], "the reloaded page shows the event from sessionStorage, once")
            let second = #"{"status":"shipped","carrier":"DHL"}"#
            try await publish(second, port: node.port, event: "shipment")
            try await publish("plain text: delivered", port: node.port)
            // The page listens for `message` events; `shipment` is not shown until the page is told the type.
            try await poll(timeout: .seconds(10), "the page to show the next event") { await Self.shown(page) == [first, "plain text: delivered"] }

            // Away: what is published meanwhile arrives once when the page comes back in the same tab.
            try await page.call("Page.navigate", ["url": "about:blank"])
            try await poll(timeout: .seconds(10), "the page to leave") { await page.evaluate("location.href") as? String == "about:blank" }
            let third = "published while the page was away"
            try await publish(third, port: node.port)
            try await page.call("Page.navigate", ["url": url + "&types=shipment"])
            try await poll(timeout: .seconds(20), "the page to come back and subscribe") {
                await page.evaluate("location.href !== 'about:blank' && \(Self.tailState) === 'live'") as? Bool == true
            }
            try await poll(timeout: .seconds(10), "the page to show the event it missed") { await Self.shown(page)?.count == 3 }
            #expect(await Self.shown(page) == [first, "plain text: delivered", third])

            try await poll(timeout: .seconds(10), "the node panel to fill") {
                await page.evaluate("document.getElementById('node-status').textContent") as? String == "ready"
            }
            let violations = await page.evaluate("JSON.stringify(window.violations)") as? String
            #expect(violations == "[]", "the page needs nothing its policy forbids")
            _ = await page.evaluate("document.getElementById('publish-data').value = '{\"status\":\"delivered\"}'")
            try FileManager.default.createDirectory(atPath: (Self.screenshot as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // why: headless Chromium's window includes room for browser UI; the screenshot is of exactly 1200×800.
            try await page.call("Emulation.setDeviceMetricsOverride", ["width": 1200, "height": 800, "deviceScaleFactor": 1, "mobile": false])
            try await page.screenshot(to: Self.screenshot)
        }
    }

    @Test("with auth on, the dashboard asks for a token, keeps it in the tab only, and subscribes and publishes with it")
    func dashboardAsksForToken() async throws {
        let key = TestTokens.secret
        try await withDashboard(nodeArguments: ["--publisher-jwt-key", key, "--subscriber-jwt-key", key]) { page, node, _ in
            try await poll(timeout: .seconds(20), "the page to ask for a token") {
                await page.evaluate("\(Self.tailState) === 'closed' && !document.getElementById('auth').hidden") as? Bool == true
            }
            let token = try await TestTokens.hs256(publish: [Self.topic], subscribe: [Self.topic])
            _ = await page.evaluate("document.getElementById('token').value = '\(token)'; document.getElementById('auth').requestSubmit()")
            try await poll(timeout: .seconds(10), "the page to subscribe with the token") { await page.evaluate(Self.tailState) as? String == "live" }
            _ = await page.evaluate("""
                document.getElementById('publish-data').value = 'from the page'; document.getElementById('publish').requestSubmit()
                """)
            try await poll(timeout: .seconds(10), "the page to publish with the token and show the event") { await Self.shown(page) == ["from the page"] }
            // why: the event can reach the page over its stream before the page has read the publish response.
            try await poll(timeout: .seconds(10), "the page to show the publish result") {
                (await page.evaluate("document.getElementById('publish-result').textContent") as? String)?.hasPrefix("published") == true
            }
            let kept = await page.evaluate("[localStorage.length, document.cookie, sessionStorage.getItem('herald.dashboard.token') !== null]") as? [Any]
            #expect(kept?.count == 3 && kept?[0] as? Int == 0 && kept?[1] as? String == "" && kept?[2] as? Bool == true, "\(kept ?? [])")
        }
    }

    /// Runs `body` with a node started with `nodeArguments`, and Chromium showing its dashboard on `topic`.
    private func withDashboard(nodeArguments: [String], _ body: (DevToolsPage, HeraldNodeProcess, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ports = try await LoopbackPort.free(count: 2)
        let (nodePort, debuggingPort) = (ports[0], ports[1])
        let node = HeraldNodeProcess(name: "node", port: nodePort, arguments: nodeArguments, logDirectory: directory)
        try await node.start()
        defer { node.stop() }
        let url = "http://127.0.0.1:\(nodePort)/?topic=\(TestNode.percentEncode(Self.topic))"
        let browser = try await HeadlessChromium.open(
            url, directory: directory, debuggingPort: debuggingPort,
            arguments: ["--window-size=1200,800", "--force-device-scale-factor=1", "--hide-scrollbars"]
        )
        defer { ChildProcess.terminate(browser) }

        var passed = false
        defer { if passed { try? FileManager.default.removeItem(atPath: directory) } }
        do {
            // why: Chromium needs a few seconds to start in a container, more on a loaded CI box.
            let page = try await DevToolsPage.attach(debuggingPort: debuggingPort, timeout: .seconds(40))
            try await body(page, node, url)
            await page.close()
            passed = true
        } catch {
            Issue.record("\(error)\n\(node.logTail())\n--- chromium\n\(BrowserFailoverTests.tail(HeadlessChromium.logPath(directory)))")
        }
    }

    static func shown(_ page: DevToolsPage) async -> [String]? {
        await page.evaluate(shownEvents) as? [String]
    }

    /// Publishes `data` to `topic` without credentials.
    private func publish(_ data: String, port: Int, event: String? = nil) async throws {
        var object: [String: String] = ["topic": Self.topic, "data": data]
        object["event"] = event
        let body = try JSONSerialization.data(withJSONObject: object)
        let response = try await HeraldHTTPClient.request(
            port: port, method: .POST, path: "/publish", headers: [("content-type", "application/json")], body: ByteBuffer(bytes: body)
        )
        #expect(response.status == 200, "\(response.bodyText)")
    }
}
