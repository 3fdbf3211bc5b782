import Foundation
import HeraldClient
import TestSupport
import Testing

/// `GET /topics/{topic}` on both backends, and across nodes sharing Redis: the subscriber count adds up every
/// node's report. (Path forms, bad input and auth: `TopicEndpointTests`; a killed node: FailoverTests.)
@Suite("Topic info on every backend", .timeLimit(.minutes(1)))
struct TopicInfoTests {
    func info(_ node: TestNode, _ topic: String) async throws -> TopicInfo {
        let response = try await node.get("/topics/" + TestNode.percentEncode(topic).replacingOccurrences(of: "/", with: "%2F"))
        #expect(response.status == 200, "\(response.bodyText)")
        return try JSONDecoder().decode(TopicInfo.self, from: Data(response.bodyText.utf8))
    }

    /// Asks `node` until `done` holds for its answer or 15 s have passed; returns the last answer.
    func eventually(_ node: TestNode, _ topic: String, _ done: (TopicInfo) -> Bool) async throws -> TopicInfo {
        // why: other nodes report every 2 s; 15 s is generous on a loaded machine and is never waited for in full
        // when things work. Nothing is asserted about the time it took.
        let deadline = ContinuousClock.now + .seconds(15)
        var answer = try await info(node, topic)
        while !done(answer), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            answer = try await info(node, topic)
        }
        return answer
    }

    @Test("retained count, first and last id and epoch describe the history, and the ids resume", arguments: BackendKind.available)
    func retainedHistory(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let node = nodes[0]
            let empty = try await info(node, "orders/42")
            #expect(empty.retained == 0 && empty.firstID == nil && empty.lastID == nil && empty.epoch == nil)
            var ids: [String] = []
            for index in 1...4 { ids.append(try await node.publish("orders/42", "e\(index)")) }
            let topic = try await info(node, "orders/42")
            #expect(topic.retained == 4 && topic.firstID == ids[0] && topic.lastID == ids[3] && topic.epoch != nil)
            let resumed = try await node.stream(["orders/42"], lastEventID: topic.firstID)
            #expect(try await resumed.events(3).map(\.data) == ["e2", "e3", "e4"])
            await resumed.close()
        }
    }

    @Test("this node's streams are counted at once, with one node reporting alone", arguments: BackendKind.available)
    func localCount(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let streams = [try await nodes[0].stream(["room"]), try await nodes[0].stream(["room"])]
            let topic = try await info(nodes[0], "room")
            #expect(topic.subscribers == 2 && topic.subscribersOnThisNode == 2 && topic.nodesReporting == 1)
            for stream in streams { await stream.close() }
        }
    }

    @Test(
        "nodes sharing Redis add up each other's subscribers, and a node that stops leaves the count",
        .enabled(if: BackendKind.available.contains(.redis))
    )
    func countAcrossNodes() async throws {
        try await withNodes(.redis) { backend, nodes in
            // why: started here rather than by withNodes, because the test stops it and withNodes stops its own.
            let second = try await TestNode.start(backend.testBackend)
            do {
                let onFirst = try await nodes[0].stream(["lobby"])
                let onSecond = [try await second.stream(["lobby"]), try await second.stream(["lobby", "other"])]
                let summed = try await eventually(nodes[0], "lobby") { $0.subscribers == 3 }
                #expect(summed.subscribers == 3 && summed.subscribersOnThisNode == 1 && summed.nodesReporting == 2)
                let fromSecond = try await eventually(second, "lobby") { $0.subscribers == 3 }
                #expect(fromSecond.subscribersOnThisNode == 2)
                for stream in onSecond { await stream.close() }
                let dropped = try await eventually(nodes[0], "lobby") { $0.subscribers == 1 }
                #expect(dropped.subscribers == 1 && dropped.nodesReporting == 2)
                try await second.stop()
                // A node that stops gracefully withdraws its report at once (a killed one: FailoverTests).
                let alone = try await info(nodes[0], "lobby")
                #expect(alone.subscribers == 1 && alone.nodesReporting == 1)
                await onFirst.close()
            } catch {
                try? await second.stop()
                throw error
            }
        }
    }
}
