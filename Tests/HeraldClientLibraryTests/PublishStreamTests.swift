import HeraldClient
import TestSupport
import Testing

/// `Herald.withPublishStream` against a live node: one request for a whole answer, each event delivered as sent.
@Suite("Streaming publishes from the client library", .timeLimit(.minutes(1)))
struct PublishStreamTests {
    @Test("each sent event reaches a subscriber while the stream is open; the result gives the count and the ids")
    func tokensArriveAsSent() async throws {
        try await TestNode.with(.memory) { node in
            let herald = Herald(server: "http://127.0.0.1:\(node.port)")
            let subscriber = try await node.stream(["answers/9"])
            var received: [SSEEvent] = []
            let result = try await herald.withPublishStream(topic: "answers/9") { stream in
                for token in ["The", " answer", " is", " 42"] {
                    try stream.send(text: token)
                    // why: waits for the token before sending the next, so each must have been delivered mid-request.
                    received.append(try #require(try await subscriber.nextEvent(timeout: .seconds(5))))
                }
                try stream.send(Publication(topic: "answers/9", json: #"{"tokens":4}"#, type: "done"))
                try stream.send(Publication(topic: "answers/index", text: "9"))
            }
            received.append(try #require(try await subscriber.nextEvent(timeout: .seconds(5))))
            #expect(received.map(\.data) == ["The", " answer", " is", " 42", #"{"tokens":4}"#])
            #expect(received.last?.type == "done")
            #expect(result.count == 6)
            #expect(result.ids?.prefix(5).map { $0 } == received.compactMap(\.id))
            #expect(result.lastID == result.ids?.last)
        }
    }

    @Test("a refused event ends the stream: later sends throw, and the error is the server's, saying what was stored")
    func refusal() async throws {
        try await TestNode.with(.memory) { node in
            let herald = Herald(server: "http://127.0.0.1:\(node.port)")
            let subscriber = try await node.stream(["t"])
            do {
                _ = try await herald.withPublishStream(topic: "t") { stream in
                    try stream.send(text: "fine")
                    try stream.send(text: "")  // EventSource cannot deliver empty data: refused
                    for _ in 0..<200 {
                        try stream.send(text: "after")
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    Issue.record("sends after the refusal did not throw")
                }
                Issue.record("the stream succeeded")
            } catch let error as HeraldClientError {
                #expect(error.code == .rejected)
                #expect(error.serverCode == "invalid_data")
                #expect(error.message.contains("line 1 was stored"), "\(error.message)")
            }
            _ = try await herald.publish(Publication(topic: "t", text: "marker"))
            #expect(try await subscriber.events(2).map(\.data) == ["fine", "marker"], "nothing after the refused line was stored")
        }
    }
}
