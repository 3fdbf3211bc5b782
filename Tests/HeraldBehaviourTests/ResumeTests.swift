import HeraldClient
import TestSupport
import Testing

@Suite("Resume from Last-Event-ID", .timeLimit(.minutes(1)))
struct ResumeTests {
    @Test("resuming by header gives exactly the missed events, then live ones", arguments: BackendKind.available)
    func resumeByHeader(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let node = nodes[0]
            let first = try await node.stream(["r"])
            for n in 1...5 { try await node.publish("r", "\(n)") }
            let seen = try await first.events(3)
            await first.close()
            let resumed = try await node.stream(["r"], lastEventID: seen.last?.id)
            #expect(try await resumed.events(2).map(\.data) == ["4", "5"])
            try await node.publish("r", "6")
            #expect(try await resumed.events(1).map(\.data) == ["6"])
            await resumed.close()
        }
    }

    @Test("resuming by query parameter works, and the header wins over it", arguments: BackendKind.available)
    func resumeByQuery(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let node = nodes[0]
            let ids = try await (1...4).asyncMap { try await node.publish("q", "\($0)") }
            let byQuery = try await node.stream(["q"], query: "&lastEventId=" + ids[1])
            #expect(try await byQuery.events(2).map(\.data) == ["3", "4"])
            await byQuery.close()
            let both = try await node.stream(["q"], lastEventID: ids[2], query: "&lastEventId=" + ids[0])
            #expect(try await both.events(1).map(\.data) == ["4"])
            await both.close()
        }
    }

    @Test("one id resumes every topic of a multi-topic stream", arguments: BackendKind.available)
    func multiTopicResume(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let node = nodes[0]
            let first = try await node.stream(["m1", "m2", "m3"])
            try await node.publish("m1", "a1")
            try await node.publish("m2", "b1")
            let last = try #require(try await first.events(2).last)
            await first.close()
            try await node.publish("m3", "c1")
            try await node.publish("m1", "a2")
            try await node.publish("m2", "b2")
            let resumed = try await node.stream(["m3", "m2", "m1"], lastEventID: last.id)
            let replayed = try await resumed.events(3).map(\.data)
            #expect(replayed.sorted() == ["a2", "b2", "c1"])
            await #expect(throws: HeraldClientError.self) { try await resumed.nextEvent(timeout: .milliseconds(200)) }
            await resumed.close()
        }
    }

    @Test("a fresh stream gets a resume point before its first event", arguments: BackendKind.available)
    func freshStreamResumePoint(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let node = nodes[0]
            let fresh = try await node.stream(["f"])
            // The id-only block dispatches no event but is in the bytes; wait for it before publishing.
            let deadline = ContinuousClock.now + .seconds(5)
            while !String(buffer: fresh.rawBytes).contains("id: "), ContinuousClock.now < deadline {
                _ = try? await fresh.next(timeout: .milliseconds(50))
            }
            let idLine = try #require(String(buffer: fresh.rawBytes).split(separator: "\n").first { $0.hasPrefix("id: ") })
            await fresh.close()
            try await node.publish("f", "while away")
            let resumed = try await node.stream(["f"], lastEventID: String(idLine.dropFirst(4)))
            #expect(try await resumed.events(1).map(\.data) == ["while away"])
            await resumed.close()
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
