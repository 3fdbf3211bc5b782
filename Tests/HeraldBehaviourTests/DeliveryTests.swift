import HeraldClient
import TestSupport
import Testing

@Suite("Publish and live delivery", .timeLimit(.minutes(1)))
struct DeliveryTests {
    @Test("an event reaches a subscriber with its type and multi-line data", arguments: BackendKind.available)
    func singleTopic(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let stream = try await nodes[0].stream(["orders/42"])
            #expect(stream.status == 200)
            let id = try await nodes[0].publish("orders/42", "line 1\nline 2", event: "order.updated")
            let event = try #require(try await stream.nextEvent(timeout: .seconds(5)))
            #expect(event == SSEEvent(type: "order.updated", data: "line 1\nline 2", id: id))
            await stream.close()
        }
    }

    @Test("one connection receives several topics, and only those", arguments: BackendKind.available)
    func severalTopics(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let stream = try await nodes[0].stream(["a", "b"])
            try await nodes[0].publish("a", "1")
            try await nodes[0].publish("other", "x")
            try await nodes[0].publish("b", "2")
            #expect(try await stream.events(2).map(\.data) == ["1", "2"])
            await #expect(throws: HeraldClientError.self) { try await stream.nextEvent(timeout: .milliseconds(200)) }
            await stream.close()
        }
    }

    @Test("a batch is stored and delivered in order and answered with every id", arguments: BackendKind.available)
    func batchOrder(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let stream = try await nodes[0].stream(["batch"])
            let items = (1...50).map { "{\"topic\":\"batch\",\"data\":{\"seq\":\($0)}}" }
            let response = try await nodes[0].post(contentType: "application/json", body: "[\(items.joined(separator: ","))]")
            #expect(response.status == 200)
            #expect(response.bodyText.hasPrefix("{\"ids\":["))
            #expect(try await stream.events(50).map(\.data) == (1...50).map { "{\"seq\":\($0)}" })
            await stream.close()
        }
    }

    @Test("form and JSON publishers are both delivered", arguments: BackendKind.available)
    func formAndJSON(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let stream = try await nodes[0].stream(["mixed"])
            #expect(try await nodes[0].post(contentType: "application/x-www-form-urlencoded", body: "topic=mixed&data=hello+form&type=greeting").status == 200)
            #expect(try await nodes[0].post(contentType: "application/json; charset=utf-8", body: #"{"topic":"mixed","data":{"a":[1,2]}}"#).status == 200)
            let events = try await stream.events(2)
            #expect(events.map(\.type) == ["greeting", "message"])
            #expect(events.map(\.data) == ["hello form", #"{"a":[1,2]}"#])
            await stream.close()
        }
    }

    @Test("two nodes on one Redis: publish on one, receive on the other, resume on the first", .enabled(if: BackendKind.available.contains(.redis)))
    func twoNodes() async throws {
        try await withNodes(.redis, count: 2) { _, nodes in
            let onB = try await nodes[1].stream(["shared"])
            try await nodes[0].publish("shared", "1")
            let first = try #require(try await onB.nextEvent(timeout: .seconds(5)))
            #expect(first.data == "1")
            await onB.close()
            try await nodes[1].publish("shared", "2")
            try await nodes[0].publish("shared", "3")
            let onA = try await nodes[0].stream(["shared"], lastEventID: first.id)
            #expect(try await onA.events(2).map(\.data) == ["2", "3"])
            await onA.close()
        }
    }
}
