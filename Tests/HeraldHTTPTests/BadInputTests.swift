import HeraldClient
import HeraldCore
import NIOCore
import TestSupport
import Testing

/// Every refused request gets the right status and `{"error":{"code","message"}}` that says how to fix it.
@Suite("Bad input", .timeLimit(.minutes(1)))
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let contentType: String?
        let body: String
        let status: Int
        let code: String
        let hint: String
        var testDescription: String { name }
    }

    static let publishCases: [Case] = [
        .init(name: "missing topic", contentType: "application/json", body: #"{"data":"x"}"#, status: 400, code: "missing_field", hint: "topic"),
        .init(name: "empty topic", contentType: "application/json", body: #"{"topic":"","data":"x"}"#, status: 400, code: "invalid_topic", hint: "empty"),
        .init(name: "topic over 256 bytes", contentType: "application/json", body: "{\"topic\":\"\(String(repeating: "t", count: 257))\",\"data\":\"x\"}", status: 400, code: "invalid_topic", hint: "256"),
        .init(name: "topic with a control character", contentType: "application/json", body: #"{"topic":"a\u0007b","data":"x"}"#, status: 400, code: "invalid_topic", hint: "U+7"),
        .init(name: "event with LF", contentType: "application/json", body: #"{"topic":"t","data":"x","event":"a\nb"}"#, status: 400, code: "invalid_event", hint: "CR, LF or NUL"),
        .init(name: "event with CR", contentType: "application/json", body: #"{"topic":"t","data":"x","event":"a\rb"}"#, status: 400, code: "invalid_event", hint: "CR, LF or NUL"),
        .init(name: "event with NUL", contentType: "application/json", body: #"{"topic":"t","data":"x","event":"a\u0000b"}"#, status: 400, code: "invalid_event", hint: "CR, LF or NUL"),
        .init(name: "malformed JSON", contentType: "application/json", body: #"{"topic":"t","data":}"#, status: 400, code: "malformed_json", hint: "byte"),
        .init(name: "unknown field", contentType: "application/json", body: #"{"topci":"t","data":"x"}"#, status: 400, code: "unknown_field", hint: "topci"),
        .init(name: "idempotency key with a space", contentType: "application/json", body: #"{"topic":"t","data":"x","idempotencyKey":"a b"}"#, status: 400, code: "invalid_idempotency_key", hint: "visible ASCII"),
        .init(name: "idempotency key over 200 bytes", contentType: "application/json", body: "{\"topic\":\"t\",\"data\":\"x\",\"idempotencyKey\":\"\(String(repeating: "k", count: 201))\"}", status: 400, code: "invalid_idempotency_key", hint: "200"),
        .init(name: "empty idempotency key", contentType: "application/json", body: #"{"topic":"t","data":"x","idempotencyKey":""}"#, status: 400, code: "invalid_idempotency_key", hint: "1 to 200"),
        .init(name: "idempotency key not a string", contentType: "application/json", body: #"{"topic":"t","data":"x","idempotencyKey":7}"#, status: 400, code: "invalid_field", hint: "idempotencyKey"),
        .init(name: "wrong content type", contentType: "text/plain", body: "hello", status: 415, code: "unsupported_media_type", hint: "application/json"),
        .init(name: "missing content type", contentType: nil, body: "hello", status: 415, code: "unsupported_media_type", hint: "missing"),
        .init(name: "form without topic", contentType: "application/x-www-form-urlencoded", body: "data=x", status: 400, code: "missing_field", hint: "topic"),
        .init(name: "empty data", contentType: "application/json", body: #"{"topic":"t","data":""}"#, status: 400, code: "invalid_data", hint: "empty"),
    ]

    @Test("a bad publish is refused with status, code and a helpful message", arguments: publishCases)
    func badPublish(_ bad: Case) async throws {
        try await TestNode.with(.memory) { node in
            expectError(try await node.post(contentType: bad.contentType, body: bad.body), status: bad.status, code: bad.code, hint: bad.hint)
        }
    }

    @Test("a batch with one bad item stores nothing")
    func badBatchStoresNothing() async throws {
        try await TestNode.with(.memory) { node in
            let body = #"[{"topic":"b","data":"1"},{"topic":"b","data":"2","event":"x\ny"},{"topic":"b","data":"3"}]"#
            expectError(try await node.post(contentType: "application/json", body: body), status: 400, code: "invalid_event", hint: "item 1")
            let history = try await node.broker.history(of: try Topic("b"), after: .zero, limit: 10)
            #expect(history == .empty)
        }
    }

    @Test("a body over the limit is refused with 413, by declared length and while streaming in")
    func tooLarge() async throws {
        try await TestNode.with(.memory, configure: { $0.maxBodySize = 100 }) { node in
            let big = "{\"topic\":\"t\",\"data\":\"\(String(repeating: "x", count: 200))\"}"
            expectError(try await node.post(contentType: "application/json", body: big), status: 413, code: "payload_too_large", hint: "100 bytes")
            let chunked = try await node.post(contentType: "application/json", body: big, headers: [("transfer-encoding", "chunked")])
            #expect(chunked.status == 413)
        }
    }

    @Test("bad subscriptions are refused", arguments: [
        ("/events", 400, "missing_topic", "topic="),
        ("/events?topic=", 400, "invalid_topic", "empty"),
        ("/events?topic=a%0Ab", 400, "invalid_topic", "U+A"),
        ("/events?topic=a&lastEventId=not-a-cursor!", 400, "malformed_cursor", "reconnect without it"),
        ("/events?topic=a&topic=%zz", 400, "invalid_query", "query"),
        ("/events?" + (1...4).map { "topic=t\($0)" }.joined(separator: "&"), 400, "too_many_topics", "at most 3"),
        ("/nowhere", 404, "not_found", "/publish"),
    ])
    func badSubscription(path: String, status: Int, code: String, hint: String) async throws {
        try await TestNode.with(.memory, configure: { $0.maxTopicsPerConnection = 3 }) { node in
            expectError(try await node.get(path), status: status, code: code, hint: hint)
        }
    }

    @Test("a bad topic path is refused with a JSON error", arguments: [
        ("/topics/", 400, "invalid_topic", "empty"),
        ("/topics/" + String(repeating: "t", count: 10_000), 414, "uri_too_long", "8192"),
        ("/topics/" + String(repeating: "t", count: 5_000), 400, "invalid_topic", "256"),
        ("/topics/a%00b", 400, "invalid_topic", "U+0"),
        ("/topics/a%1Bb", 400, "invalid_topic", "U+1B"),
        ("/topics/a%C2%85b", 400, "invalid_topic", "U+85"),
        ("/topics/%E0%80", 400, "invalid_topic", "UTF-8"),
        ("/topics/%%", 400, "invalid_topic", "percent-encoding"),
    ])
    func badTopicPath(path: String, status: Int, code: String, hint: String) async throws {
        try await TestNode.with(.memory) { node in
            expectError(try await node.get(path), status: status, code: code, hint: hint)
        }
    }

    @Test("dot segments in a topic path are topic names, never a way to another route")
    func dotSegments() async throws {
        try await TestNode.with(.memory) { node in
            for (path, topic) in [("/topics/..", ".."), ("/topics/../stats", "../stats"), ("/topics/%2E%2E%2Fhealthz", "../healthz")] {
                let response = try await node.get(path)
                #expect(response.status == 200, "\(path): \(response.bodyText)")
                #expect(TestNode.field("topic", in: response.bodyText) == topic, "\(path): \(response.bodyText)")
            }
        }
    }

    @Test("a malformed Last-Event-ID header is a 400")
    func malformedHeader() async throws {
        try await TestNode.with(.memory) { node in
            expectError(try await node.get("/events?topic=a", headers: [("Last-Event-ID", "garbage")]), status: 400, code: "malformed_cursor", hint: "cursor")
        }
    }

    @Test("a wrong method is a 405 naming the allowed one")
    func wrongMethod() async throws {
        try await TestNode.with(.memory) { node in
            let response = try await node.get("/publish")
            expectError(response, status: 405, code: "method_not_allowed", hint: "POST")
            #expect(response.header("allow") == "POST")
        }
    }

    @Test("an Idempotency-Key header together with an idempotencyKey field is refused, and nothing is stored")
    func idempotencyKeyTwice() async throws {
        try await TestNode.with(.memory) { node in
            let stream = try await node.stream(["t"])
            let response = try await node.post(contentType: "application/json", body: #"{"topic":"t","data":"x","idempotencyKey":"a"}"#, headers: [("Idempotency-Key", "b")])
            expectError(response, status: 400, code: "invalid_idempotency_key", hint: "one of them")
            try await node.publish("t", "after")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "after")
        }
    }

    @Test("an empty Idempotency-Key header is refused on a batch too, and nothing is stored")
    func emptyIdempotencyKeyHeaderOnBatch() async throws {
        try await TestNode.with(.memory) { node in
            let stream = try await node.stream(["t"])
            let response = try await node.post(contentType: "application/json", body: #"[{"topic":"t","data":"x"}]"#, headers: [("Idempotency-Key", "")])
            expectError(response, status: 400, code: "invalid_idempotency_key", hint: "1 to 200")
            try await node.publish("t", "after")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "after")
        }
    }

    @Test("an unavailable backend is a 503 with Retry-After, for publish and readiness")
    func backendUnavailable() async throws {
        try await TestNode.with(.memory, brokerOverride: { UnavailableBroker() }) { node in
            let publish = try await node.post(contentType: "application/json", body: #"{"topic":"t","data":"x"}"#)
            expectError(publish, status: 503, code: "backend_unavailable", hint: "retry")
            #expect(publish.header("retry-after") != nil)
            #expect(try await node.get("/readyz").status == 503)
            #expect(try await node.get("/healthz").status == 200)
        }
    }
}

/// A broker whose backend is down.
struct UnavailableBroker: Broker {
    let name = "down"
    func fail() -> HeraldError { HeraldError(.backendUnavailable, "the backend is down; retry in a moment") }
    func publish(_ events: [NewEvent]) async throws -> [TopicPosition] { throw fail() }
    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory { throw fail() }
    func subscribe(to topics: [Topic]) async throws -> BrokerSubscription { throw fail() }
    func checkReady() async throws { throw fail() }
}
