import HeraldClient
import HeraldCore
import TestSupport
import Testing

/// One connection on two topics whose cursor keys collide resumes each topic from its own position.
@Suite("Resume of topics with colliding cursor keys", .timeLimit(.minutes(1)))
struct CollidingTopicsResumeTests {
    /// The same 32-bit FNV-1a key, the key of version 1 cursors.
    static let legacyPair = (CollidingTopicNames.legacy32.first, CollidingTopicNames.legacy32.second)
    /// The same 64-bit FNV-1a key, the key of version 2 cursors.
    static let crafted64Pair = (CollidingTopicNames.crafted64.first, CollidingTopicNames.crafted64.second)

    @Test("a pair with colliding 32-bit keys resumes exactly, without a reset", arguments: BackendKind.available)
    func legacyPair(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let (a, b) = Self.legacyPair
            let (lastID, resumed) = try await Self.liveThenResume(a, b, on: nodes[0]) { $0 }
            #expect(try Cursor(encoded: lastID).entries.map(\.topic) == [.key(try Topic(b).cursorKey), .key(try Topic(a).cursorKey)])
            #expect(resumed.sorted() == ["a4", "b3"])
        }
    }

    @Test("a version 1 id that a browser still holds resumes the colliding pair exactly", arguments: BackendKind.available)
    func legacyCursorFromBrowser(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let (a, b) = Self.legacyPair
            let (_, resumed) = try await Self.liveThenResume(a, b, on: nodes[0]) { id in
                // The id an older Herald sent for the same positions: 32-bit keys in sorted topic order.
                let topics = try [Topic(a), Topic(b)].sorted()
                let positions = try Cursor(encoded: id).positions(for: topics).map { try #require($0) }
                let legacy = Cursor(entries: zip(topics, positions).map { .init(topic: .legacyKey($0.legacyCursorKey), position: $1) })
                #expect(legacy.encoded.hasPrefix("AQ"))
                return legacy.encoded
            }
            #expect(resumed.sorted() == ["a4", "b3"])
        }
    }

    @Test("a crafted pair with colliding 64-bit keys is named in its ids and resumes exactly", arguments: BackendKind.available)
    func crafted64Pair(kind: BackendKind) async throws {
        try await withNodes(kind) { _, nodes in
            let (a, b) = Self.crafted64Pair
            let (lastID, resumed) = try await Self.liveThenResume(a, b, on: nodes[0]) { $0 }
            #expect(Set(try Cursor(encoded: lastID).entries.map(\.topic)) == [.name(a), .name(b)])
            #expect(resumed.sorted() == ["a4", "b3"])
        }
    }

    /// Publishes a1 and b1, streams both topics and sees a2 a3 b2 live, publishes a4 and b3 while away,
    /// then resumes with the last id (passed through `resumeID`) and returns the last live id and the data
    /// of everything the resumed stream sends before going quiet, in order; fails on a `herald.reset`.
    static func liveThenResume(
        _ a: String, _ b: String, on node: TestNode, resumeID: (String) throws -> String
    ) async throws -> (lastID: String, resumed: [String]) {
        try await node.publish(a, "a1")
        try await node.publish(b, "b1")
        let live = try await node.stream([a, b])
        for (topic, data) in [(a, "a2"), (a, "a3"), (b, "b2")] { try await node.publish(topic, data) }
        let seen = try await live.events(3)
        #expect(seen.map(\.data) == ["a2", "a3", "b2"])
        await live.close()
        let lastID = try #require(seen.last?.id)
        try await node.publish(a, "a4")
        try await node.publish(b, "b3")
        let resumed = try await node.stream([a, b], lastEventID: try resumeID(lastID))
        var events = try await resumed.events(2)
        while let more = try? await resumed.nextEvent(timeout: .milliseconds(300)) { events.append(more) }
        await resumed.close()
        #expect(!events.contains { $0.type == "herald.reset" }, "\(events)")
        return (lastID, events.map(\.data))
    }
}
