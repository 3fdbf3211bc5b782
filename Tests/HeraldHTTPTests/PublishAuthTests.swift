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

    func expectError(_ response: HTTPClientResponse, _ status: Int, _ code: String, _ hint: String) {
        #expect(response.status == status)
        #expect(TestNode.field("code", in: response.bodyText) == code, "\(response.bodyText)")
        #expect((TestNode.field("message", in: response.bodyText) ?? "").contains(hint), "\(response.bodyText)")
        if status == 401 { #expect(response.header("www-authenticate")?.hasPrefix("Bearer") == true) }
    }

    @Test("a publish without a credential gets 401 naming the Authorization header")
    func missing() async throws {
        try await withNode { node in
            expectError(try await publish(node, #"{"topic":"orders/1","data":"x"}"#, bearer: nil), 401, "unauthorized", "Authorization")
        }
    }

    @Test("a publish with a forged, expired or unknown credential gets 401 and stores nothing")
    func rejected() async throws {
        try await withNode { node in
            let forged = try await TestTokens.hs256(secret: "some-other-secret-0123456789abcdefgh", publish: ["*"])
            expectError(try await publish(node, #"{"topic":"orders/1","data":"x"}"#, bearer: forged), 401, "unauthorized", "signature")
            let expired = try await TestTokens.hs256(publish: ["*"], expiresIn: -30)
            expectError(try await publish(node, #"{"topic":"orders/1","data":"x"}"#, bearer: expired), 401, "unauthorized", "expired")
            expectError(try await publish(node, #"{"topic":"orders/1","data":"x"}"#, bearer: "wrong-api-key"), 401, "unauthorized", "malformed")
            #expect(try await node.broker.history(of: try Topic("orders/1"), after: .zero, limit: 10) == .empty)
        }
    }

    @Test("a token publishes inside its claim and gets 403 naming the topic outside it")
    func claim() async throws {
        try await withNode { node in
            let token = try await TestTokens.hs256(publish: ["orders/*", "news"])
            #expect(try await publish(node, #"{"topic":"orders/42","data":"x"}"#, bearer: token).status == 200)
            #expect(try await publish(node, #"{"topic":"news","data":"x"}"#, bearer: token).status == 200)
            expectError(try await publish(node, #"{"topic":"billing","data":"x"}"#, bearer: token), 403, "forbidden_topic", "billing")
            expectError(try await publish(node, #"{"topic":"orders","data":"x"}"#, bearer: token), 403, "forbidden_topic", "orders")
        }
    }

    @Test("a batch with one forbidden item gets 403 naming it and stores nothing")
    func batch() async throws {
        try await withNode { node in
            let token = try await TestTokens.hs256(publish: ["orders/*"])
            let body = #"[{"topic":"orders/1","data":"a"},{"topic":"news","data":"b"},{"topic":"orders/2","data":"c"}]"#
            expectError(try await publish(node, body, bearer: token), 403, "forbidden_topic", "news")
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
            expectError(refused, 403, "forbidden_topic", "news")
        }
    }
}
