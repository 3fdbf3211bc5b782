import Foundation
import HeraldClient
import Testing

/// `Herald.publish` against a scripted server: the request it sends, retries, refusals and batching.
@Suite("Publishing with the client library", .timeLimit(.minutes(1)))
struct HeraldPublishTests {
    @Test("a publish sends the API's JSON with an idempotency key and returns the id")
    func publishesOne() async throws {
        try await ScriptedServer.with({ _, _ in .respond(status: 200, body: #"{"id":"AgE1"}"#) }) { server in
            let herald = Herald(server: server.url, token: "secret-token")
            let id = try await herald.publish(Publication(topic: "orders/42", json: #"{"status":"paid"}"#, type: "order.updated"))
            #expect(id == "AgE1")
            let request = try #require(server.received.first)
            #expect(request.method == .POST && request.uri == "/publish")
            #expect(request.headers["authorization"] == ["Bearer secret-token"])
            let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
            #expect(body["topic"] as? String == "orders/42")
            #expect((body["data"] as? [String: Any])?["status"] as? String == "paid")
            #expect(body["event"] as? String == "order.updated")
            #expect((body["idempotencyKey"] as? String)?.isEmpty == false)
        }
    }

    @Test("text data is sent as a JSON string, escaped")
    func textIsQuoted() async throws {
        try await ScriptedServer.with({ _, _ in .respond(status: 200, body: #"{"id":"x"}"#) }) { server in
            _ = try await Herald(server: server.url).publish(Publication(topic: "t", text: "a \"quote\"\nand\ttab \u{1}"))
            let request = try #require(server.received.first)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
            #expect(body["data"] as? String == "a \"quote\"\nand\ttab \u{1}")
        }
    }

    @Test("a 503 is retried after its Retry-After with the same body and key, then succeeds")
    func retriesUnavailable() async throws {
        let script: @Sendable (Int, ScriptedServer.Request) -> ScriptedServer.Reply = { index, _ in
            index < 2
                ? .respond(status: 503, headers: [("retry-after", "0")], body: #"{"error":{"code":"backend_unavailable","message":"down"}}"#)
                : .respond(status: 200, body: #"{"id":"after-retries"}"#)
        }
        try await ScriptedServer.with(script) { server in
            let id = try await Herald(server: server.url).publish(Publication(topic: "t", text: "x"))
            #expect(id == "after-retries")
            let bodies = server.received.map(\.body)
            #expect(bodies.count == 3)
            #expect(Set(bodies).count == 1, "a retry resends the same event with the same idempotency key")
        }
    }

    @Test("a refusal is thrown with the server's status, code and message, and not retried")
    func refusalIsNotRetried() async throws {
        let refusal = #"{"error":{"code":"invalid_topic","message":"topic is empty; give a non-empty topic"}}"#
        try await ScriptedServer.with({ _, _ in .respond(status: 400, body: refusal) }) { server in
            do {
                _ = try await Herald(server: server.url).publish(Publication(topic: "", text: "x"))
                Issue.record("a 400 must throw")
            } catch let error as HeraldClientError {
                #expect(error.code == .rejected && error.status == 400 && error.serverCode == "invalid_topic")
                #expect(error.message == "topic is empty; give a non-empty topic")
            }
            #expect(server.received.count == 1)
        }
    }

    @Test("a long list goes out in batches of batchSize and its ids come back in order")
    func batches() async throws {
        let script: @Sendable (Int, ScriptedServer.Request) -> ScriptedServer.Reply = { index, request in
            let items = request.body.components(separatedBy: "\"topic\"").count - 1
            let ids = (0..<items).map { "\"\(index)-\($0)\"" }.joined(separator: ",")
            return .respond(status: 200, body: items == 1 ? "{\"id\":\(ids)}" : "{\"ids\":[\(ids)]}")
        }
        try await ScriptedServer.with(script) { server in
            let publications = (1...5).map { Publication(topic: "t", text: "\($0)") }
            let ids = try await Herald(server: server.url).publish(publications, batchSize: 2)
            #expect(ids == ["0-0", "0-1", "1-0", "1-1", "2-0"])
            #expect(server.received.map { $0.body.hasPrefix("[") } == [true, true, false])
        }
    }

    @Test("a server that cannot be reached fails with unavailable after the configured attempts")
    func unreachable() async throws {
        var configuration = Herald.Configuration(server: "http://127.0.0.1:1")
        configuration.publishAttempts = 2
        // why: AsyncHTTPClient keeps trying to connect until the request's deadline.
        configuration.requestTimeout = .milliseconds(500)
        do {
            _ = try await Herald(configuration: configuration).publish(Publication(topic: "t", text: "x"))
            Issue.record("nothing listens on port 1")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("after 2 attempts"))
        }
    }
}
