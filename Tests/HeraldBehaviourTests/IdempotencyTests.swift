import HeraldClient
import TestSupport
import Testing

/// A publisher that cannot know whether its request was stored retries it with the same idempotency key;
/// the event is stored and delivered once, and every attempt gets the same id.
@Suite("Idempotent publish", .timeLimit(.minutes(1)))
struct IdempotencyTests {
    @Test("a retry with the same Idempotency-Key returns the original id and stores nothing", arguments: BackendKind.available)
    func headerKey(kind: BackendKind) async throws {
        try await withNodes(kind, count: kind == .redis ? 2 : 1) { _, nodes in
            let stream = try await nodes[0].stream(["orders"])
            let body = #"{"topic":"orders","data":"paid"}"#
            let first = try await nodes[0].post(contentType: "application/json", body: body, headers: [("Idempotency-Key", "order-7-paid")])
            let retry = try await nodes.last!.post(contentType: "application/json", body: body, headers: [("Idempotency-Key", "order-7-paid")])
            #expect(first.status == 200 && retry.status == 200)
            #expect(first.bodyText == retry.bodyText, "the retry answers with the original id")
            try await nodes[0].publish("orders", "shipped")
            #expect(try await stream.events(2).map(\.data) == ["paid", "shipped"])
        }
    }

    @Test("keys are per topic and per item: a retried batch stores nothing new, new items are stored", arguments: BackendKind.available)
    func batchKeys(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let stream = try await nodes[0].stream(["a", "b"])
            let batch = #"[{"topic":"a","data":"1","idempotencyKey":"k1"},{"topic":"b","data":"2","idempotencyKey":"k1"}]"#
            let first = try await nodes[0].post(contentType: "application/json", body: batch)
            let retry = try await nodes[0].post(contentType: "application/json", body: batch)
            #expect(first.bodyText == retry.bodyText)
            let grown = #"[{"topic":"a","data":"1","idempotencyKey":"k1"},{"topic":"a","data":"3","idempotencyKey":"k2"}]"#
            let third = try await nodes[0].post(contentType: "application/json", body: grown)
            #expect(third.status == 200)
            #expect(try await stream.events(3).map(\.data) == ["1", "2", "3"])
            await #expect(throws: HeraldClientError.self) { try await stream.nextEvent(timeout: .milliseconds(200)) }
        }
    }

    @Test("a header on a batch keys item i as <key>:<i>", arguments: BackendKind.available)
    func headerOnBatch(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let stream = try await nodes[0].stream(["c"])
            let batch = #"[{"topic":"c","data":"1"},{"topic":"c","data":"2"}]"#
            let first = try await nodes[0].post(contentType: "application/json", body: batch, headers: [("Idempotency-Key", "run-1")])
            let single = try await nodes[0].post(contentType: "application/json", body: #"{"topic":"c","data":"2","idempotencyKey":"run-1:1"}"#)
            #expect(first.status == 200)
            #expect(first.bodyText.contains(TestNode.field("id", in: single.bodyText) ?? "none"), "item 1 was stored under run-1:1")
            #expect(try await stream.events(2).map(\.data) == ["1", "2"])
            await #expect(throws: HeraldClientError.self) { try await stream.nextEvent(timeout: .milliseconds(200)) }
        }
    }
}
