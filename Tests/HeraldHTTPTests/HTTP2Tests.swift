import AsyncHTTPClient
import HeraldHTTP
import NIOCore
import TestSupport
import Testing

/// HTTP/2 at the edge, through AsyncHTTPClient (which negotiates `h2` by ALPN and multiplexes every request
/// to a host over one connection): many event streams on one connection, every route, resume, and drain.
@Suite("HTTP/2 at the edge", .timeLimit(.minutes(1)))
struct HTTP2Tests {
    /// A node with TLS (and HTTP/2 by ALPN) and a client that trusts its authority.
    static func withNode(
        configure: @escaping (inout EdgeConfiguration) -> Void = { _ in },
        heartbeat: TimeAmount = .seconds(15),
        _ body: (TestNode, HTTPClient, String) async throws -> Void
    ) async throws {
        let files = try TLSTests.Files()
        defer { files.remove() }
        let tls = try files.tls(try files.authority.issue("node"))
        let clientConfiguration = try Self.clientConfiguration(files)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        do {
            try await TestNode.with(.memory, heartbeat: heartbeat, configure: {
                $0.tls = tls
                configure(&$0)
            }) { node in
                try await body(node, client, "https://127.0.0.1:\(node.port)")
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// AsyncHTTPClient trusting the test's authority, negotiating HTTP/2 where the server offers it.
    static func clientConfiguration(_ files: TLSTests.Files) throws -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = try files.client()
        configuration.httpVersion = .automatic
        return configuration
    }

    /// Reads `response`'s body until it holds `text` (bounded by the suite's time limit).
    static func read(_ response: HTTPClientResponse, until text: String) async throws -> String {
        var received = ""
        for try await part in response.body {
            received += String(buffer: part)
            if received.contains(text) { break }
        }
        return received
    }

    @Test("twenty event streams share one HTTP/2 connection, and each receives its own events")
    func twentyStreamsOneConnection() async throws {
        try await Self.withNode { node, client, base in
            let streams = try await withThrowingTaskGroup(of: (Int, HTTPClientResponse).self) { group in
                for index in 0..<20 {
                    group.addTask { (index, try await client.execute(HTTPClientRequest(url: "\(base)/events?topic=tab-\(index)"), timeout: .seconds(10))) }
                }
                return try await group.reduce(into: [Int: HTTPClientResponse]()) { $0[$1.0] = $1.1 }
            }
            #expect(streams.values.allSatisfy { $0.status == .ok && $0.version == .http2 })
            #expect(streams.values.allSatisfy { $0.headers.first(name: "content-type") == "text/event-stream" })
            for index in 0..<20 { _ = try await node.publishThroughBroker("tab-\(index)", "for tab \(index)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, response) in streams {
                    group.addTask {
                        let text = try await Self.read(response, until: "data: for tab \(index)\n")
                        #expect(text.hasPrefix("retry: "), "\(text)")
                        #expect(!text.contains("for tab \(index == 0 ? 1 : 0)\n"), "only its own topic's events")
                    }
                }
                try await group.waitForAll()
            }
            let stats = try await client.execute(HTTPClientRequest(url: "\(base)/stats"), timeout: .seconds(5))
            let body = String(buffer: try await stats.body.collect(upTo: 1 << 20))
            #expect(stats.version == .http2)
            #expect(TestNode.number("openConnections", in: body) == 1, "the streams and this request share one connection: \(body)")
        }
    }

    @Test("every route answers over HTTP/2: publish, health, readiness, a topic, errors as JSON, resume from Last-Event-ID")
    func routes() async throws {
        try await Self.withNode { node, client, base in
            var publish = HTTPClientRequest(url: "\(base)/publish")
            publish.method = .POST
            publish.headers.add(name: "content-type", value: "application/json")
            publish.body = .bytes(ByteBuffer(string: #"[{"topic":"h2","data":"one"},{"topic":"h2","data":"two"}]"#))
            let published = try await client.execute(publish, timeout: .seconds(5))
            let answer = String(buffer: try await published.body.collect(upTo: 1 << 16))
            #expect(published.status == .ok && published.version == .http2, "\(answer)")
            let firstID = try #require(answer.firstMatch(of: /"ids":\["([^"]+)"/).map { String($0.output.1) }, "\(answer)")
            for path in ["/healthz", "/readyz", "/topics/h2"] {
                let response = try await client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(5))
                #expect(response.status == .ok, "\(path)")
                _ = try await response.body.collect(upTo: 1 << 20)
            }
            let missing = try await client.execute(HTTPClientRequest(url: "\(base)/nowhere"), timeout: .seconds(5))
            let error = String(buffer: try await missing.body.collect(upTo: 1 << 16))
            #expect(missing.status == .notFound && error.contains(#""code":"not_found""#), "\(error)")
            var resume = HTTPClientRequest(url: "\(base)/events?topic=h2")
            resume.headers.add(name: "last-event-id", value: firstID)
            let resumed = try await client.execute(resume, timeout: .seconds(5))
            let replay = try await Self.read(resumed, until: "data: two\n")
            #expect(!replay.contains("data: one"), "resumes after the cursor, exactly: \(replay)")
            _ = node
        }
    }

    @Test("over HTTP/2 auth, CORS, heartbeats and token expiry behave as over HTTP/1.1")
    func authCORSHeartbeatExpiry() async throws {
        let auth = try TestTokens.authorizer(publisher: false)
        try await Self.withNode(configure: {
            $0.auth = auth
            $0.cors = CORSPolicy(origins: ["https://app.example.com"])
        }, heartbeat: .milliseconds(200)) { node, client, base in
            let anonymous = try await client.execute(HTTPClientRequest(url: "\(base)/events?topic=orders/42"), timeout: .seconds(5))
            let refusal = String(buffer: try await anonymous.body.collect(upTo: 1 << 16))
            #expect(anonymous.status == .unauthorized && anonymous.version == .http2 && refusal.contains(#""code":"unauthorized""#), "\(refusal)")
            var preflight = HTTPClientRequest(url: "\(base)/events")
            preflight.method = .OPTIONS
            preflight.headers.add(name: "origin", value: "https://app.example.com")
            preflight.headers.add(name: "access-control-request-method", value: "GET")
            let allowed = try await client.execute(preflight, timeout: .seconds(5))
            _ = try await allowed.body.collect(upTo: 1 << 16)
            #expect(allowed.status == .noContent && allowed.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            let token = try await TestTokens.hs256(subscribe: ["orders/*"], expiresIn: 2)
            var request = HTTPClientRequest(url: "\(base)/events?topic=orders/42")
            request.headers.add(name: "authorization", value: "Bearer \(token)")
            request.headers.add(name: "origin", value: "https://app.example.com")
            let stream = try await client.execute(request, timeout: .seconds(10))
            #expect(stream.status == .ok && stream.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            var received = ""
            for try await part in stream.body { received += String(buffer: part) }
            #expect(received.contains(": ping") || received.contains(":\n"), "heartbeats arrive over HTTP/2: \(received)")
            #expect(received.contains("event: herald.token-expired"), "the stream ends at the token's expiry: \(received)")
            _ = node
        }
    }

    @Test("a streaming publish (NDJSON body over an HTTP/2 stream) stores each line as it arrives")
    func streamingPublish() async throws {
        try await Self.withNode { node, client, base in
            let subscriber = try await client.execute(HTTPClientRequest(url: "\(base)/events?topic=tokens"), timeout: .seconds(10))
            let (lines, writer) = AsyncStream.makeStream(of: ByteBuffer.self)
            var publish = HTTPClientRequest(url: "\(base)/publish")
            publish.method = .POST
            publish.headers.add(name: "content-type", value: "application/x-ndjson")
            publish.body = .stream(lines, length: .unknown)
            let publishing = Task { try await client.execute(publish, timeout: .seconds(20)) }
            var received = ""
            var body = subscriber.body.makeAsyncIterator()
            for index in 1...3 {
                writer.yield(ByteBuffer(string: #"{"topic":"tokens","data":"token-\#(index)"}"# + "\n"))
                // why: the next line goes only once this one reached the subscriber: stored as it arrived.
                while !received.contains("data: token-\(index)\n"), let part = try await body.next() { received += String(buffer: part) }
            }
            writer.finish()
            let answer = try await publishing.value
            let text = String(buffer: try await answer.body.collect(upTo: 1 << 16))
            #expect(answer.status == .ok && text.contains(#""count":3"#), "\(text)")
            _ = node
        }
    }

    @Test("on drain, HTTP/2 streams end and the connection gets GOAWAY; the client comes back elsewhere")
    func drain() async throws {
        let files = try TLSTests.Files()
        defer { files.remove() }
        let tls = try files.tls(try files.authority.issue("node"))
        let clientConfiguration = try Self.clientConfiguration(files)
        let node = try await TestNode.start(.memory, configure: { $0.tls = tls })
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        do {
            let stream = try await client.execute(HTTPClientRequest(url: "https://127.0.0.1:\(node.port)/events?topic=d"), timeout: .seconds(5))
            #expect(stream.version == .http2)
            let stopping = Task { try await node.stop() }
            var received = ""
            for try await part in stream.body { received += String(buffer: part) }
            #expect(received.hasPrefix("retry: "), "the stream ended cleanly (END_STREAM), not with an error: \(received)")
            try await stopping.value
        } catch {
            try? await node.stop()
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
