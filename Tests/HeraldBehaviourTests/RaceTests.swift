import HeraldClient
import TestSupport
import Testing

@Suite("Resume under continuous publishing", .timeLimit(.minutes(2)))
struct RaceTests {
    static let publishers = 3
    static let eventsPerPublisher = 150
    static let clients = 4

    @Test("clients that keep disconnecting and resuming see every event exactly once, in order", arguments: BackendKind.available)
    func resumeRace(kind: BackendKind) async throws {
        // Redis runs two nodes and clients alternate between them, as behind a load balancer.
        try await withNodes(kind, count: kind == .redis ? 2 : 1) { _, nodes in
            let start = try await nodes[0].publish("race", "start")
            let received = try await withThrowingTaskGroup(of: [String]?.self) { group in
                for publisher in 0..<Self.publishers {
                    group.addTask {
                        for n in 1...Self.eventsPerPublisher {
                            try await nodes[n % nodes.count].publish("race", "p\(publisher):\(n)")
                        }
                        return nil
                    }
                }
                for client in 0..<Self.clients {
                    group.addTask { try await Self.readWithReconnects(nodes: nodes, from: start, seed: client) }
                }
                var results: [[String]] = []
                for try await result in group { if let result { results.append(result) } }
                return results
            }
            #expect(received.count == Self.clients)
            for events in received {
                #expect(events.count == Self.publishers * Self.eventsPerPublisher)
                for publisher in 0..<Self.publishers {
                    let sequence = events.filter { $0.hasPrefix("p\(publisher):") }.map { Int($0.split(separator: ":")[1])! }
                    #expect(sequence == Array(1...Self.eventsPerPublisher), "publisher \(publisher) as seen by a client")
                }
            }
        }
    }

    @Test("generations streamed token by token, whose subscribers reconnect mid-answer, lose and repeat no token", arguments: BackendKind.available)
    func tokensResumeMidAnswer(kind: BackendKind) async throws {
        let generations = 6
        let tokens = 120
        try await withNodes(kind, count: kind == .redis ? 2 : 1) { _, nodes in
            let starts = try await (0..<generations).asyncMap { try await nodes[0].publish("answer/\($0)", "prompt") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for generation in 0..<generations {
                    let topic = "answer/\(generation)"
                    group.addTask {
                        // One streaming request per answer, to the other node than most readers start on.
                        let herald = Herald(server: "http://127.0.0.1:\(nodes[nodes.count - 1].port)")
                        let result = try await herald.withPublishStream(topic: topic) { stream in
                            for n in 1...tokens {
                                try stream.send(text: "t\(n)")
                                if n % 10 == 0 { try await Task.sleep(for: .milliseconds(5)) }
                            }
                            try stream.send(text: "[DONE]", type: "done")
                        }
                        #expect(result.count == tokens + 1)
                    }
                    group.addTask {
                        let read = try await Self.readWithReconnects(nodes: nodes, topic: topic, from: starts[generation], count: tokens + 1, seed: generation)
                        #expect(read == (1...tokens).map { "t\($0)" } + ["[DONE]"], "\(topic) as its reader saw it")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// Reads until every event arrived, closing the stream after a random number of events each time and
    /// resuming from the last id seen, on the next node.
    static func readWithReconnects(
        nodes: [TestNode], topic: String = "race", from start: String, count total: Int = publishers * eventsPerPublisher, seed: Int
    ) async throws -> [String] {
        var generator = SplitMix64(seed: UInt64(seed))
        var lastID = start
        var events: [String] = []
        var connection = 0
        while events.count < total {
            let stream = try await nodes[connection % nodes.count].stream([topic], lastEventID: lastID)
            connection += 1
            let batch = Int(generator.next() % 40) + 1
            for _ in 0..<batch where events.count < total {
                guard let event = try await stream.nextEvent(timeout: .seconds(10)) else { break }
                events.append(event.data)
                lastID = event.id ?? lastID
            }
            await stream.close()
        }
        return events
    }
}
