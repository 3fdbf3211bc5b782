import HeraldClient
import TestSupport
import Testing

/// A streaming publish on each backend: tokens written to one node reach a subscriber of another as they are
/// written, the answer's ids are the ids subscribers see, and history replays the same events.
@Suite("Streaming publish on each backend", .timeLimit(.minutes(1)))
struct StreamingPublishBehaviourTests {
    @Test("tokens streamed to one node reach a subscriber on another one by one; the answer's ids resume exactly", arguments: BackendKind.available)
    func tokensAcrossNodes(kind: BackendKind) async throws {
        try await withNodes(kind, count: kind == .redis ? 2 : 1) { _, nodes in
            let reader = try await nodes[0].stream(["chat/7"])
            let herald = Herald(server: "http://127.0.0.1:\(nodes[nodes.count - 1].port)")
            var live: [SSEEvent] = []
            let result = try await herald.withPublishStream(topic: "chat/7", idempotencyKey: "reply-1") { stream in
                for token in ["Stream", "ing", " works"] {
                    try stream.send(text: token)
                    live.append(try #require(try await reader.nextEvent(timeout: .seconds(5))))
                }
            }
            #expect(live.map(\.data) == ["Stream", "ing", " works"])
            #expect(result.ids == live.compactMap(\.id))

            // The same stream again (a retry after a lost answer) stores nothing new and answers the same ids.
            let again = try await herald.withPublishStream(topic: "chat/7", idempotencyKey: "reply-1") { stream in
                for token in ["Stream", "ing", " works"] { try stream.send(text: token) }
            }
            #expect(again.ids == result.ids)

            let resumed = try await nodes[0].stream(["chat/7"], lastEventID: result.ids?.first)
            #expect(try await resumed.events(2).map(\.data) == ["ing", " works"])
            try await nodes[0].publish("chat/7", "next")
            #expect(try await resumed.events(1).map(\.data) == ["next"], "no copy of the retried stream came in between")
        }
    }

    @Test("after a streaming publish, its connection serves the next request (no read is lost while the body was held)", arguments: BackendKind.available)
    func keepAliveAfterStream(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            for round in 0..<3 {
                let request = try await StreamingPublishRequest.open(port: nodes[0].port, topic: "keep/\(round)")
                try await request.line(#"{"data":"x"}"#)
                try await request.chunk(#"{"data":"y"}"# + "\n" + #"{"data":"z"}"# + "\n")
                try await request.end()
                #expect(try await request.response().status == 200)
                try await request.connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let all = try await request.connection.receivedUntilClosed(timeout: .seconds(5))
                #expect(all.components(separatedBy: "HTTP/1.1 200").count == 3, "\(all)")
            }
        }
    }
}
