import HeraldClient
import HeraldHooks
import TestSupport
import Testing

/// `POST /disconnect`: the streams of a user, or of topics, end on every node sharing the backend, each with
/// a `herald.revoked` event; the others go on.
@Suite("Revocation across nodes", .timeLimit(.minutes(2)))
struct RevocationTests {
    /// A stream that must end with `herald.revoked` (after any events before it) and then close.
    func expectRevoked(_ stream: SSEStream, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let event = try await stream.nextEvent(timeout: .seconds(5))
        #expect(event?.type == "herald.revoked", "\(String(describing: event))", sourceLocation: sourceLocation)
        #expect(try await stream.next(timeout: .seconds(5)) == nil, "the stream did not end", sourceLocation: sourceLocation)
    }

    func disconnect(_ node: TestNode, _ body: String) async throws -> HTTPClientResponse {
        try await node.post("/disconnect", contentType: "application/json", body: body)
    }

    @Test("a user's streams end on every node; another user's and the topics' other streams go on", arguments: BackendKind.available)
    func byUser(_ kind: BackendKind) async throws {
        // The hook names the user from the session cookie.
        let hook = try await HookServer.start { request in
            let user = request.header("cookie")?.split(separator: "=").last.map(String.init) ?? "nobody"
            return .allow(#"{"user":"\#(user)"}"#)
        }
        defer { Task { await hook.stop() } }
        try await withBackend(kind) { backend in
            let settings = AuthHookSettings(url: hook.url)
            // why: one node on the memory backend (it shares nothing); two on Redis, where the revocation crosses.
            var nodes: [TestNode] = []
            for _ in 0..<(kind == .redis ? 2 : 1) {
                nodes.append(try await TestNode.start(backend.testBackend, configure: { $0.subscribeHook = settings }))
            }
            let first = nodes[0], last = nodes[nodes.count - 1]
            let alice = [try await first.stream(["room/1"], headers: [("cookie", "session=alice")]),
                         try await last.stream(["room/2"], headers: [("cookie", "session=alice")])]
            let bob = try await last.stream(["room/1"], headers: [("cookie", "session=bob")])
            let response = try await disconnect(first, #"{"user":"alice"}"#)
            #expect(response.status == 200, "\(response.bodyText)")
            #expect(response.bodyText.hasPrefix(#"{"revoked":{"user":"alice","topics":[]}}"#), "\(response.bodyText)")
            for stream in alice { try await expectRevoked(stream) }
            // The revocation forgot alice's cached answers: her next stream is asked of the hook again.
            let asked = hook.requests.count
            let again = try await first.stream(["room/1"], headers: [("cookie", "session=alice")])
            #expect(hook.requests.count == asked + 1, "alice's reconnect was allowed from the cache")
            await again.close()
            try await first.publish("room/1", "for bob")
            #expect(try await bob.nextEvent(timeout: .seconds(5))?.data == "for bob")
            await bob.close()
            for node in nodes { try await node.stop() }
        }
    }

    @Test("a topic's streams end on every node, with the event before the close; other topics go on", arguments: BackendKind.available)
    func byTopics(_ kind: BackendKind) async throws {
        try await withNodes(kind, count: kind == .redis ? 2 : 1) { _, nodes in
            let first = nodes[0], last = nodes[nodes.count - 1]
            let doomed = [try await first.stream(["room/1", "room/3"]), try await last.stream(["room/1"])]
            let spared = try await last.stream(["room/2"])
            try await first.publish("room/1", "before")
            for stream in doomed { #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "before") }
            #expect(try await disconnect(last, #"{"topics":["room/1"]}"#).status == 200)
            for stream in doomed { try await expectRevoked(stream) }
            try await first.publish("room/2", "after")
            #expect(try await spared.nextEvent(timeout: .seconds(5))?.data == "after")
            await spared.close()
        }
    }
}
