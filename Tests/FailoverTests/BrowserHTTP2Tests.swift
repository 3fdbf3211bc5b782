import Foundation
import TestSupport
import Testing

/// Headless Chromium, trusting exactly the test's certificate, opens one page with twenty `EventSource`s on
/// twenty topics to one Herald node over HTTPS. Over HTTP/2 all twenty receive their events on one
/// connection; over HTTP/1.1 (`--http2 off`) the browser holds at most six, which shows the test can fail.
@Suite(
    "Twenty EventSources in one page over HTTP/2",
    .serialized,
    .enabled(if: RedisServerProcess.isRequired || (HeadlessChromium.executable != nil && LoadBalancerProcess.executable(.haproxy) != nil)),
    // why: Chromium starts in a few seconds; each scenario takes a few more (a kill, and the browser's 2 s
    // reconnect delay, in the failover one).
    .timeLimit(.minutes(3))
)
struct BrowserHTTP2Tests {
    static let count = 20

    /// Opens the page's streams and records what each receives in `window.heraldTabs`.
    static let openStreams = """
        window.heraldTabs = { opened: 0, received: {} };
        for (let index = 0; index < \(count); index++) {
          const topic = "tab-" + index;
          window.heraldTabs.received[topic] = [];
          const source = new EventSource("/events?topic=" + topic);
          source.onopen = () => { window.heraldTabs.opened += 1; };
          source.onmessage = (event) => { window.heraldTabs.received[topic].push(event.data); };
        }
        true
        """

    @Test("over HTTP/2 twenty EventSources of one page share one connection and each gets its events; over HTTP/1.1 at most six open")
    func twentyEventSources() async throws {
        for http2 in [true, false] {
            let files = try TLSNodeSupport(name: "browser-h2")
            var passed = false
            defer { if passed { files.remove() } }
            let ports = try await LoopbackPort.free(count: 2)
            let node = HeraldNodeProcess(
                name: "node", port: ports[0], arguments: files.nodeArguments + ["--http2", http2 ? "on" : "off"],
                logDirectory: files.directory, readiness: files.readiness(proxied: false)
            )
            try await node.start()
            defer { node.stop() }
            let browser = try await HeadlessChromium.open(
                "https://127.0.0.1:\(node.port)/", directory: files.directory, debuggingPort: ports[1],
                arguments: ["--ignore-certificate-errors-spki-list=\(files.pair.publicKeyPin)"]
            )
            defer { ChildProcess.terminate(browser) }
            do {
                // why: Chromium needs a few seconds to start in a container, more on a loaded CI box.
                let page = try await DevToolsPage.attach(debuggingPort: ports[1], timeout: .seconds(40))
                try await poll(timeout: .seconds(20), "the dashboard to load over TLS") {
                    await page.evaluate("location.protocol + document.readyState") as? String == "https:complete"
                }
                #expect(await page.evaluate(Self.openStreams) as? Bool == true)
                if http2 {
                    try await poll(timeout: .seconds(20), "twenty streams to open") { await Self.opened(page) == Self.count }
                    for index in 0..<Self.count {
                        let answer = await TLSNodeSupport.publish(port: node.port, tls: files.client, topic: "tab-\(index)", data: "event-\(index)")
                        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
                    }
                    try await poll(timeout: .seconds(20), "every tab to receive its event") {
                        let received = await page.evaluate("JSON.stringify(window.heraldTabs.received)") as? String ?? ""
                        return (0..<Self.count).allSatisfy { received.contains("\"tab-\($0)\":[\"event-\($0)\"]") }
                    }
                    let health = await TLSNodeSupport.exchange(port: node.port, tls: files.client, "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                    #expect(TestNode.number("streams", in: health) == Self.count, "\(health)")
                    // Herald's own count of connections says which protocol carried them (Chromium's
                    // performance entries leave nextHopProtocol empty for this page).
                    let stats = await TLSNodeSupport.exchange(port: node.port, tls: files.client, "GET /stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                    let connections = TestNode.number("openConnections", in: stats)
                    // why: the browser's HTTP/2 connection, maybe a spare one Chromium opened ahead, and the one asking:
                    // over HTTP/1.1 the twenty streams alone would need twenty.
                    #expect((connections ?? 99) <= 3, "twenty streams on one connection: \(connections.map(String.init) ?? stats)")
                } else {
                    // why: the browser opens what its pool allows at once; 3 s more shows it opens no more.
                    try await poll(timeout: .seconds(20), "the first streams to open") { await Self.opened(page) >= 5 }
                    try await Task.sleep(for: .seconds(3))
                    let opened = await Self.opened(page)
                    #expect(opened <= 6 && opened < Self.count, "over HTTP/1.1 the browser holds at most six connections, \(opened) opened")
                }
                await page.close()
                passed = true
            } catch {
                Issue.record("\(error)\n\(node.logTail())\n--- chromium\n\(BrowserFailoverTests.tail(HeadlessChromium.logPath(files.directory)))")
            }
        }
    }

    static func opened(_ page: DevToolsPage) async -> Int {
        await page.evaluate("window.heraldTabs ? window.heraldTabs.opened : 0") as? Int ?? 0
    }
}

// The same page through HAProxy in TCP mode (deploy/haproxy-tcp.cfg) in front of two TLS nodes on one Redis,
// behind the PROXY protocol: the node holding the page's HTTP/2 connection is killed mid-stream, and all twenty
// `EventSource`s resume on the other node with every event once, in order. In the same serialized suite, so
// that the two Chromium scenarios do not run at once on a loaded box.
extension BrowserHTTP2Tests {
    @Test("all twenty streams resume exactly on the other node after the one holding the connection is killed")
    func killMidStream() async throws {
        let files = try TLSNodeSupport(name: "browser-h2-kill")
        var passed = false
        defer { if passed { files.remove() } }
        let redis = try await RedisServerProcess.start()
        defer { redis.stop() }
        let ports = try await LoopbackPort.free(count: 3)
        let nodes = (0..<2).map { index in
            HeraldNodeProcess(
                name: "node-\(index)", port: ports[index],
                arguments: files.nodeArguments + ["--redis-url", redis.url, "--proxy-protocol", "on", "--key-prefix", "h2kill"],
                logDirectory: files.directory, readiness: files.readiness(proxied: true)
            )
        }
        for node in nodes { try await node.start() }
        defer { for node in nodes { node.stop() } }
        let balancer = try await LoadBalancerProcess.start(.haproxy, file: "deploy/haproxy-tcp.cfg", upstreamPorts: nodes.map(\.port))
        defer {
            balancer.stop()
            balancer.removeFiles()
        }
        try await poll(timeout: .seconds(10), "HAProxy to route to the nodes") {
            await TLSNodeSupport.exchange(port: balancer.port, tls: files.client, "GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").hasPrefix("HTTP/1.1 200")
        }
        let browser = try await HeadlessChromium.open(
            "https://127.0.0.1:\(balancer.port)/", directory: files.directory, debuggingPort: ports[2],
            arguments: ["--ignore-certificate-errors-spki-list=\(files.pair.publicKeyPin)"]
        )
        defer { ChildProcess.terminate(browser) }
        do {
            let page = try await DevToolsPage.attach(debuggingPort: ports[2], timeout: .seconds(40))
            try await poll(timeout: .seconds(20), "the dashboard to load through HAProxy") {
                await page.evaluate("location.protocol + document.readyState") as? String == "https:complete"
            }
            let opening = await page.evaluate(BrowserHTTP2Tests.openStreams) as? Bool
            let location = await page.evaluate("location.href + ' ' + document.title") as? String ?? "?"
            #expect(opening == true, "the page: \(location)")
            try await poll(timeout: .seconds(20), "twenty streams to open") { await BrowserHTTP2Tests.opened(page) == Self.count }
            func publish(_ round: Int, through port: Int) async {
                for index in 0..<Self.count {
                    let answer = await TLSNodeSupport.publish(port: port, tls: files.client, proxied: true, topic: "tab-\(index)", data: "e\(round)")
                    #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
                }
            }
            for round in 1...3 { await publish(round, through: nodes[0].port) }
            try await poll(timeout: .seconds(20), "the first three events on every stream") { await Self.allReceived(page, rounds: 3) }
            var holder: HeraldNodeProcess?
            for node in nodes {
                let health = await TLSNodeSupport.exchange(port: node.port, tls: files.client, proxied: true, "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                if TestNode.number("streams", in: health) == Self.count { holder = node }
            }
            let killed = try #require(holder, "one node holds all twenty streams (one HTTP/2 connection)")
            let survivor = try #require(nodes.first { $0 !== killed })
            killed.kill9()
            for round in 4...6 { await publish(round, through: survivor.port) }
            try await poll(timeout: .seconds(30), "every stream to resume and get events 4 to 6") { await Self.allReceived(page, rounds: 6) }
            let received = await page.evaluate("JSON.stringify(window.heraldTabs.received)") as? String ?? ""
            for index in 0..<Self.count {
                #expect(received.contains("\"tab-\(index)\":[\"e1\",\"e2\",\"e3\",\"e4\",\"e5\",\"e6\"]"), "tab-\(index): once each, in order: \(received)")
            }
            await page.close()
            passed = true
        } catch {
            Issue.record("\(error)\n\(nodes.map { $0.logTail() }.joined(separator: "\n"))\n--- chromium\n\(BrowserFailoverTests.tail(HeadlessChromium.logPath(files.directory)))")
        }
    }

    /// Whether every tab received at least `rounds` events.
    static func allReceived(_ page: DevToolsPage, rounds: Int) async -> Bool {
        let counts = await page.evaluate("Object.values(window.heraldTabs.received).map(r => r.length)") as? [Int] ?? []
        return counts.count == count && counts.allSatisfy { $0 >= rounds }
    }
}
