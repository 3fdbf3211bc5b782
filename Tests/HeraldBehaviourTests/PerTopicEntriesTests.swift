import Foundation
import HeraldClient
import TestSupport
import Testing

/// `GET /stats` through HTTP: the per-topic entries of every structure go back to zero once the streams of
/// N distinct topics closed, on both backends; only the memory backend's retained history stays.
@Suite("Per-topic entries after streams close", .timeLimit(.minutes(1)))
struct PerTopicEntriesTests {
    /// The `perTopicEntries` object of `GET /stats`.
    func perTopicEntries(_ node: TestNode) async throws -> [String: Int] {
        let response = try await node.get("/stats")
        #expect(response.status == 200)
        let json = try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any]
        return try #require(json?["perTopicEntries"] as? [String: Int], "no perTopicEntries in \(response.bodyText)")
    }

    /// Counts that must be zero with no stream open (all but the memory backend's retained topics).
    func streamBound(_ entries: [String: Int]) -> [String: Int] {
        entries.filter { !$0.key.hasPrefix("memory") }
    }

    @Test("after streams on N distinct topics closed, /stats counts no per-topic entry but retained history", arguments: BackendKind.available)
    func countersReturnToZero(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let node = nodes[0]
            let topics = (0..<40).map { "user/\($0)" }
            var streams: [SSEStream] = []
            for topic in topics { streams.append(try await node.stream([topic])) }
            let open = try await perTopicEntries(node)
            #expect(open["fanOutTopics"] == topics.count)
            if kind == .redis { #expect(open["redisChannels"] == topics.count) }
            for topic in topics { try await node.publish(topic, "x") }
            for stream in streams { #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "x") }
            for stream in streams { await stream.close() }

            // why: the node sees each close when the FIN arrives, and Redis confirms each SUNSUBSCRIBE after
            // that; polled within a bound, not waited for by time.
            let deadline = ContinuousClock.now + .seconds(10)
            var entries = try await perTopicEntries(node)
            while streamBound(entries).values.contains(where: { $0 != 0 }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                entries = try await perTopicEntries(node)
            }
            #expect(streamBound(entries).values.allSatisfy { $0 == 0 }, "entries left after every stream closed: \(entries)")
            #expect(streamBound(entries).count >= (kind == .redis ? 6 : 2), "every structure is reported: \(entries)")
            if kind == .memory {
                #expect(entries["memoryTopics"] == topics.count, "history is kept until retention or the topic cap drops it")
            }
        }
    }
}
