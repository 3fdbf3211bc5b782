import HeraldAuth
import HeraldClient
import TestSupport
import Testing

/// `POST /disconnect` on one node: what it takes, what it refuses, and who may send it.
@Suite("POST /disconnect", .timeLimit(.minutes(1)))
struct DisconnectTests {
    @Test("a body that is not a disconnect gets its JSON error and ends nothing", arguments: [
        ("text/plain", "x", 415, "unsupported_media_type"),
        ("application/json", "{", 400, "malformed_json"),
        ("application/json", "[]", 400, "invalid_body"),
        ("application/json", "{}", 400, "missing_field"),
        ("application/json", #"{"user":5}"#, 400, "invalid_field"),
        ("application/json", #"{"user":""}"#, 400, "invalid_field"),
        ("application/json", #"{"topics":"a"}"#, 400, "invalid_field"),
        ("application/json", #"{"topics":[1]}"#, 400, "invalid_field"),
        ("application/json", #"{"topics":["bad\ttopic"]}"#, 400, "invalid_topic"),
        ("application/json", #"{"user":"a","reason":"x"}"#, 400, "unknown_field"),
    ])
    func badInput(_ contentType: String, _ body: String, _ status: Int, _ code: String) async throws {
        try await TestNode.with(.memory) { node in
            let stream = try await node.stream(["a"])
            let response = try await node.post("/disconnect", contentType: contentType, body: body)
            #expect(response.status == status, "\(response.bodyText)")
            #expect(TestNode.field("code", in: response.bodyText) == code, "\(response.bodyText)")
            try await node.publish("a", "still open")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "still open")
            await stream.close()
        }
    }

    @Test("with publisher auth: no credential is 401; a token may disconnect the topics it may publish to, and a user only with *")
    func auth() async throws {
        let auth = try TestTokens.authorizer(publisher: true, subscriber: false)
        try await TestNode.with(.memory, configure: { $0.auth = auth }) { node in
            expectError(try await node.post("/disconnect", contentType: "application/json", body: #"{"topics":["rooms/1"]}"#), status: 401, code: "unauthorized", hint: "credential")
            let rooms = try await TestTokens.hs256(publish: ["rooms/*"])
            let bearer = [("authorization", "Bearer \(rooms)")]
            let stream = try await node.stream(["rooms/1"])
            #expect(try await node.post("/disconnect", contentType: "application/json", body: #"{"topics":["rooms/1"]}"#, headers: bearer).status == 200)
            let revoked = try await stream.nextEvent(timeout: .seconds(5))
            #expect(revoked?.type == "herald.revoked" && revoked?.data.contains("message") == true)
            expectError(try await node.post("/disconnect", contentType: "application/json", body: #"{"topics":["other"]}"#, headers: bearer), status: 403, code: "forbidden_topic", hint: "other")
            expectError(try await node.post("/disconnect", contentType: "application/json", body: #"{"user":"alice"}"#, headers: bearer), status: 403, code: "forbidden", hint: "*")
            let everything = try await TestTokens.hs256(publish: ["*"])
            #expect(try await node.post("/disconnect", contentType: "application/json", body: #"{"user":"alice"}"#, headers: [("authorization", "Bearer \(everything)")]).status == 200)
        }
    }
}
