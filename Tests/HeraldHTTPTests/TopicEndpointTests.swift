import Foundation
import HeraldClient
import HeraldCore
import TestSupport
import Testing

/// `GET /topics/{topic}` on the memory backend: what it says, how it reads the topic from the path, and who
/// may ask. (Both backends and several nodes: `TopicInfoTests` in HeraldBehaviourTests.)
@Suite("GET /topics/{topic}", .timeLimit(.minutes(1)))
struct TopicEndpointTests {
    static let apiKey = "static-api-key-for-topic-reads-0123456789"

    func info(_ node: TestNode, _ path: String, bearer: String? = nil) async throws -> TopicInfo {
        let response = try await node.get(path, headers: bearer.map { [("authorization", "Bearer \($0)")] } ?? [])
        #expect(response.status == 200, "\(response.bodyText)")
        #expect(response.header("content-type") == "application/json")
        return try JSONDecoder().decode(TopicInfo.self, from: Data(response.bodyText.utf8))
    }

    @Test("a topic never published to is a 200 with nothing retained, null ids and epoch, and no subscriber")
    func neverPublished() async throws {
        try await TestNode.with(.memory) { node in
            let response = try await node.get("/topics/nobody/here")
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"topic":"nobody/here","retained":0,"firstId":null,"lastId":null,"epoch":null,"subscribers":0,"subscribersOnThisNode":0,"nodesReporting":1}"# + "\n")
        }
    }

    @Test("retained count, first and last id are the publish ids, and resuming from them replays what follows")
    func retainedAndResume() async throws {
        try await TestNode.with(.memory) { node in
            let ids = [try await node.publish("orders/42", "a"), try await node.publish("orders/42", "b"), try await node.publish("orders/42", "c")]
            let topic = try await info(node, "/topics/orders%2F42")
            #expect(topic.topic == "orders/42" && topic.retained == 3)
            #expect(topic.firstID == ids[0] && topic.lastID == ids[2])
            #expect(topic.epoch != nil)
            let fromFirst = try await node.stream(["orders/42"], lastEventID: topic.firstID)
            #expect(try await fromFirst.events(2).map(\.data) == ["b", "c"])
            await fromFirst.close()
            let fromLast = try await node.stream(["orders/42"], lastEventID: topic.lastID)
            try await node.publish("orders/42", "d")
            #expect(try await fromLast.nextEvent(timeout: .seconds(5))?.data == "d")
            await fromLast.close()
        }
    }

    @Test("the topic may be percent-encoded or not, a plus is a plus, and the node's streams are counted")
    func pathForms() async throws {
        try await TestNode.with(.memory) { node in
            try await node.publish("a b+c/ü", "x")
            let encoded = try await info(node, "/topics/a%20b+c%2F%C3%BC")
            let literal = try await info(node, "/topics/a%20b+c/%C3%BC")
            #expect(encoded.topic == "a b+c/ü" && encoded.retained == 1)
            #expect(literal == encoded)
            let streams = [try await node.stream(["watched"]), try await node.stream(["watched", "other"])]
            let watched = try await info(node, "/topics/watched")
            #expect(watched.subscribers == 2 && watched.subscribersOnThisNode == 2 && watched.nodesReporting == 1)
            for stream in streams { await stream.close() }
        }
    }

    @Test("a bad topic in the path is a 400 JSON error saying what to change", arguments: [
        ("/topics/", "empty"),
        ("/topics/a%0Ab", "U+A"),
        ("/topics/a%7", "percent-encoding"),
        ("/topics/%FF", "percent-encoding"),
        ("/topics/" + String(repeating: "t", count: 257), "256"),
    ])
    func badTopic(path: String, hint: String) async throws {
        try await TestNode.with(.memory) { node in
            expectError(try await node.get(path), status: 400, code: "invalid_topic", hint: hint)
        }
    }

    @Test("only GET is allowed, and on a separate publish port the route is internal")
    func methodAndScope() async throws {
        try await TestNode.with(.memory) { node in
            let response = try await node.post("/topics/t", contentType: "application/json", body: "{}")
            expectError(response, status: 405, code: "method_not_allowed", hint: "GET")
        }
        let publishPort = try await LoopbackPort.free()
        try await TestNode.with(.memory, configure: { $0.publishPort = publishPort }) { node in
            expectError(try await node.get("/topics/t"), status: 404, code: "not_found", hint: "--publish-port")
            let onPublishPort = try await HeraldHTTPClient.request(port: try #require(node.publishPort), path: "/topics/t")
            #expect(onPublishPort.status == 200)
        }
    }

    @Test("with publisher auth, no credential is 401, a token for other topics 403, a token for the topic or the API key 200")
    func publisherAuth() async throws {
        let auth = try TestTokens.authorizer(apiKey: Self.apiKey, subscriber: false)
        try await TestNode.with(.memory, configure: { $0.auth = auth }) { node in
            let missing = try await node.get("/topics/orders/1")
            expectError(missing, status: 401, code: "unauthorized", hint: "Authorization")
            #expect(missing.header("www-authenticate") == "Bearer realm=\"herald\"")
            expectError(try await node.get("/topics/orders/1", headers: [("authorization", "Bearer not-a-key")]), status: 401, code: "unauthorized", hint: "malformed")
            let other = try await TestTokens.hs256(publish: ["news"])
            expectError(try await node.get("/topics/orders/1", headers: [("authorization", "Bearer \(other)")]), status: 403, code: "forbidden_topic", hint: "orders/1")
            let allowed = try await TestTokens.hs256(publish: ["orders/*"])
            #expect(try await info(node, "/topics/orders%2F1", bearer: allowed).topic == "orders/1")
            #expect(try await info(node, "/topics/anything", bearer: Self.apiKey).topic == "anything")
        }
    }
}
