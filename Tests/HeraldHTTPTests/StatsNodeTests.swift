import Foundation
import HeraldClient
import HeraldCore
import TestSupport
import Testing

/// `GET /stats` `node` and `busiestTopics`: what a dashboard shows of this node.
@Suite("GET /stats: node and busiest topics", .timeLimit(.minutes(1)))
struct StatsNodeTests {
    struct Stats: Decodable {
        struct Node: Decodable {
            var version: String
            var backend: String
            var uptimeSeconds: Int
            var streams: Int
            var topics: Int
        }

        struct Busiest: Decodable {
            struct BySubscribers: Decodable, Equatable { var topic: String; var subscribers: Int }
            struct ByRate: Decodable { var topic: String; var eventsPerSecond: Double }
            var bySubscribers: [BySubscribers]
            var byEventsPerSecond: [ByRate]
        }

        var node: Node
        var busiestTopics: Busiest
    }

    func stats(_ node: TestNode) async throws -> Stats {
        let response = try await node.get("/stats")
        #expect(response.status == 200)
        return try JSONDecoder().decode(Stats.self, from: Data(response.bodyText.utf8))
    }

    @Test("a fresh node reports its version, backend and uptime, and no busy topic")
    func freshNode() async throws {
        try await TestNode.with(.memory) { node in
            let stats = try await stats(node)
            #expect(stats.node.version == HeraldVersion.current && stats.node.backend == "memory")
            #expect(stats.node.uptimeSeconds >= 0 && stats.node.streams == 0 && stats.node.topics == 0)
            #expect(stats.busiestTopics.bySubscribers.isEmpty && stats.busiestTopics.byEventsPerSecond.isEmpty)
        }
    }

    @Test("topics are ranked by streams and by events delivered, busiest first")
    func busiestAfterPublishing() async throws {
        try await TestNode.with(.memory) { node in
            let hot = [try await node.stream(["hot"]), try await node.stream(["hot", "warm"]), try await node.stream(["hot"])]
            let warm = try await node.stream(["warm"])
            for index in 1...20 { try await node.publish("hot", "h\(index)") }
            try await node.publish("warm", "w")
            for (index, stream) in hot.enumerated() { _ = try await stream.events(index == 1 ? 21 : 20) }
            _ = try await warm.events(1)
            let stats = try await stats(node)
            #expect(stats.node.streams == 4 && stats.node.topics == 2)
            #expect(stats.busiestTopics.bySubscribers == [.init(topic: "hot", subscribers: 3), .init(topic: "warm", subscribers: 2)])
            let rates = stats.busiestTopics.byEventsPerSecond
            #expect(rates.map(\.topic) == ["hot", "warm"], "\(rates)")
            #expect(rates.allSatisfy { $0.eventsPerSecond > 0 })
            for stream in hot + [warm] { await stream.close() }
        }
    }

    @Test("each list shows at most ten topics")
    func atMostTen() async throws {
        try await TestNode.with(.memory) { node in
            var streams: [SSEStream] = []
            for index in 0..<12 { streams.append(try await node.stream(["t\(index)"])) }
            // why: a stream is registered before its response head is sent, so every one counts by now.
            let stats = try await stats(node)
            #expect(stats.node.topics == 12)
            #expect(stats.busiestTopics.bySubscribers.count == 10)
            for stream in streams { await stream.close() }
        }
    }
}
