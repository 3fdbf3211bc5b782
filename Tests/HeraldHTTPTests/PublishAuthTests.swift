import HeraldAuth
import HeraldClient
import HeraldCore
import TestSupport
import Testing

/// With publisher auth on, `POST /publish` needs a bearer credential whose claim covers every topic.
@Suite("Publisher auth", .timeLimit(.minutes(1)))
struct PublishAuthTests {
    static let apiKey = "static-api-key-for-simple-setups-0123456789"

    func withNode(_ body: (TestNode) async throws -> Void) async throws {
        let auth = try TestTokens.authorizer(apiKey: Self.apiKey, subscriber: false)
        try await TestNode.with(.memory, configure: { $0.auth = auth }, body)
    }

    func publish(_ node: TestNode, _ body: String, bearer: String?) async throws -> HTTPClientResponse {
        try await node.post(contentType: "application/json", body: body, headers: bearer.map { [("authorization", "Bearer \($0)")] } ?? [])
    }

    @Test("a publish without a credential gets 401 naming the Authorization header")
    func missing() async throws {
        try await withNode { node in
            let response = try await publish(node, #"{"topic":"orders/1","data":"x"}"#, bearer: nil)
            expectError(response, status: 401, code: "unauthorized", hint: "Authorization")
            #expect(response.header("www-authenticate") == "Bearer realm=\"herald\"")
        }
    }

    @Test("a publish with a forged, expired or unknown credential gets 401 and stores nothing")
    func rejected() async throws {
        try await withNode { node in
            let forged = try await TestTokens.hs256(secret: "some-other-secret-0123456789abcdefgh", publish: ["*"])
            expectError(try await publish(node, #"{"topic":"orders/1","data":"x"}"#, bearer: forged), status: 401, code: "unauthorized", hint: "signature")
            let expired = try await TestTokens.hs256(publish: ["*"], expiresIn: -30)
            expectError(try await publish(node, #"{"topic":"orders/1","data":"x"}"#, bearer: expired), status: 401, code: "unauthorized", hint: "expired")
            expectError(try await publish(node, #"{"topic":"orders/1","data":"x"}"#, bearer: "wrong-api-key"), status: 401, code: "unauthorized", hint: "malformed")
            #expect(try await node.broker.history(of: try Topic("orders/1"), after: .zero, limit: 10) == .empty)
        }
    }

    @Test("a token publishes inside its claim and gets 403 naming the topic outside it")
    func claim() async throws {
        try await withNode { node in
            let token = try await TestTokens.hs256(publish: ["orders/*", "news"])
            #expect(try await publish(node, #"{"topic":"orders/42","data":"x"}"#, bearer: token).status == 200)
            #expect(try await publish(node, #"{"topic":"news","data":"x"}"#, bearer: token).status == 200)
            expectError(try await publish(node, #"{"topic":"billing","data":"x"}"#, bearer: token), status: 403, code: "forbidden_topic", hint: "billing")
            expectError(try await publish(node, #"{"topic":"orders","data":"x"}"#, bearer: token), status: 403, code: "forbidden_topic", hint: "orders")
        }
    }

    @Test("a batch with one forbidden item gets 403 naming it and stores nothing")
    func batch() async throws {
        try await withNode { node in
            let token = try await TestTokens.hs256(publish: ["orders/*"])
            let body = #"[{"topic":"orders/1","data":"a"},{"topic":"news","data":"b"},{"topic":"orders/2","data":"c"}]"#
            expectError(try await publish(node, body, bearer: token), status: 403, code: "forbidden_topic", hint: "news")
            #expect(try await node.broker.history(of: try Topic("orders/1"), after: .zero, limit: 10) == .empty)
        }
    }

    @Test("the static API key publishes to any topic")
    func apiKey() async throws {
        try await withNode { node in
            let response = try await publish(node, #"{"topic":"anything/at/all","data":"x"}"#, bearer: Self.apiKey)
            #expect(response.status == 200)
        }
    }

    @Test("a form publish is checked like a JSON one")
    func form() async throws {
        try await withNode { node in
            let token = try await TestTokens.hs256(publish: ["orders/*"])
            let refused = try await node.post(contentType: "application/x-www-form-urlencoded", body: "topic=news&data=x", headers: [("authorization", "Bearer \(token)")])
            expectError(refused, status: 403, code: "forbidden_topic", hint: "news")
        }
    }

    @Test("a streaming publish: no credential gets 401 and stores nothing; a token's claim is checked for every line's topic")
    func streaming() async throws {
        try await withNode { node in
            let anonymous = try await StreamingPublishRequest.open(port: node.port, topic: "orders/1")
            try await anonymous.line(#"{"data":"x"}"#)
            let unauthorized = try await anonymous.response()
            #expect(unauthorized.status == 401)
            #expect(TestNode.number("stored", in: unauthorized.body) == 0)

            let token = try await TestTokens.hs256(publish: ["orders/*"])
            let request = try await StreamingPublishRequest.open(port: node.port, topic: "orders/1", headers: [("Authorization", "Bearer \(token)")])
            try await request.chunk(#"{"data":"a"}"# + "\n" + #"{"topic":"orders/2","data":"b"}"# + "\n")
            try await request.line(#"{"topic":"news","data":"c"}"#)
            let forbidden = try await request.response()
            #expect(forbidden.status == 403)
            #expect(TestNode.field("code", in: forbidden.body) == "forbidden_topic")
            #expect(TestNode.number("line", in: forbidden.body) == 3)
            #expect(TestNode.number("stored", in: forbidden.body) == 2)
            #expect(try await node.broker.history(of: try Topic("orders/1"), after: .zero, limit: 10).events.count == 1)
            #expect(try await node.broker.history(of: try Topic("news"), after: .zero, limit: 10) == .empty)

            let keyed = try await StreamingPublishRequest.open(port: node.port, topic: "anything", headers: [("Authorization", "Bearer \(Self.apiKey)")])
            try await keyed.line(#"{"data":"x"}"#)
            try await keyed.end()
            #expect(try await keyed.response().status == 200)
        }
    }
}
