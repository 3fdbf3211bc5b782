import HeraldClient
import HeraldCore
import TestSupport
import Testing

@Suite("Lost history is said, never hidden", .timeLimit(.minutes(1)))
struct ResetTests {
    @Test("a cursor older than the retained history gets herald.reset, then what exists", arguments: BackendKind.available)
    func trimmedHistory(kind: BackendKind) async throws {
        // why: Redis trims approximately, whole stream nodes of 100 entries, so publish well past that.
        try await withNodes(kind, retention: RetentionPolicy(maxLength: 5)) { _, nodes in
            let node = nodes[0]
            let firstID = try await node.publish("trim", "1")
            let batch = (2...250).map { "{\"topic\":\"trim\",\"data\":\"\($0)\"}" }
            #expect(try await node.post(contentType: "application/json", body: "[\(batch.joined(separator: ","))]").status == 200)
            let stream = try await node.stream(["trim"], lastEventID: firstID)
            let reset = try #require(try await stream.nextEvent(timeout: .seconds(5)))
            #expect(reset.type == "herald.reset")
            #expect(reset.data == #"{"topics":[{"topic":"trim","reason":"history_trimmed"}]}"#)
            var values: [Int] = []
            while values.last != 250, let event = try await stream.nextEvent(timeout: .seconds(5)) { values.append(Int(event.data) ?? -1) }
            #expect(values.count >= 5 && values.count < 249)
            #expect(values == Array((251 - values.count)...250))
            await stream.close()
        }
    }

    @Test("a deleted and recreated topic gets herald.reset, then its new history", arguments: BackendKind.available)
    func recreatedTopic(kind: BackendKind) async throws {
        try await withNodes(kind) { backend, nodes in
            let node = nodes[0]
            let oldID = try await node.publish("gone", "old")
            try await backend.deleteTopic("gone", on: node)
            try await node.publish("gone", "new")
            let stream = try await node.stream(["gone"], lastEventID: oldID)
            let events = try await stream.events(2)
            #expect(events.map(\.type) == ["herald.reset", "message"])
            #expect(events.first?.data == #"{"topics":[{"topic":"gone","reason":"history_recreated"}]}"#)
            #expect(events.last?.data == "new")
            await stream.close()
        }
    }

    @Test("a deleted topic without new events gets herald.reset with reason history_deleted", arguments: BackendKind.available)
    func deletedTopic(kind: BackendKind) async throws {
        try await withNodes(kind) { backend, nodes in
            let node = nodes[0]
            let oldID = try await node.publish("vanished", "old")
            try await backend.deleteTopic("vanished", on: node)
            let stream = try await node.stream(["vanished"], lastEventID: oldID)
            let reset = try #require(try await stream.nextEvent(timeout: .seconds(5)))
            #expect(reset.type == "herald.reset")
            #expect(reset.data.contains("history_deleted"))
            await stream.close()
        }
    }
}
