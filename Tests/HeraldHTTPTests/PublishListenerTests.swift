import HeraldAuth
import HeraldClient
import TestSupport
import Testing

/// With `publishPort` set, the publish API moves to its own listener and the main one stops serving it.
@Suite("Separate publish listener", .timeLimit(.minutes(1)))
struct PublishListenerTests {
    @Test("publishes go to the publish port only; streams are served on both")
    func separate() async throws {
        try await TestNode.with(.memory, configure: { $0.publishPort = 0 }) { node in
            let publishPort = try #require(node.publishPort)
            #expect(publishPort != node.port)
            let body = #"{"topic":"t","data":"x"}"#
            let onMain = try await node.post(contentType: "application/json", body: body)
            #expect(onMain.status == 404)
            #expect((TestNode.field("message", in: onMain.bodyText) ?? "").contains("publish address"))

            let stream = try await node.stream(["t"])
            #expect(stream.status == 200)
            #expect(try await node.post(contentType: "application/json", body: body, port: publishPort).status == 200)
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "x")
            await stream.close()

            // why: the internal side serves every route, so that the dashboard there can tail a topic.
            let internalStream = try await node.stream(["t"], port: publishPort)
            #expect(internalStream.status == 200)
            await internalStream.close()
            #expect(try await HeraldHTTPClient.request(port: publishPort, method: .GET, path: "/healthz").status == 200)
        }
    }

    @Test("/stats is served on the publish port, and on the main port only without one")
    func statsOnPublishPort() async throws {
        try await TestNode.with(.memory, configure: { $0.publishPort = 0 }) { node in
            let publishPort = try #require(node.publishPort)
            let onPublish = try await HeraldHTTPClient.request(port: publishPort, method: .GET, path: "/stats")
            #expect(onPublish.status == 200)
            #expect(onPublish.bodyText.contains("\"perTopicEntries\":{"))
            #expect(try await node.get("/stats").status == 404)
        }
        try await TestNode.with(.memory) { node in
            let status = try await node.get("/stats").status
            #expect(status == 200, "without a publish port, /stats is on the main one")
        }
    }

    @Test("publisher auth applies on the publish port")
    func authOnPublishPort() async throws {
        let auth = try TestTokens.authorizer(subscriber: false)
        try await TestNode.with(.memory, configure: { $0.publishPort = 0; $0.auth = auth }) { node in
            let publishPort = try #require(node.publishPort)
            let body = #"{"topic":"t","data":"x"}"#
            #expect(try await node.post(contentType: "application/json", body: body, port: publishPort).status == 401)
            let token = try await TestTokens.hs256(publish: ["t"])
            let accepted = try await node.post(contentType: "application/json", body: body, headers: [("authorization", "Bearer \(token)")], port: publishPort)
            #expect(accepted.status == 200)
        }
    }
}
