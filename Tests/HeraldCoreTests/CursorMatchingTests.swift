import TestSupport
import Testing
@testable import HeraldCore

/// Cursors against the topics of a reconnection: colliding keys (32-bit ones from version 1 cursors, and a
/// crafted 64-bit pair) never make one topic resume from another's position.
@Suite("Cursor matching")
struct CursorMatchingTests {
    static let legacyPair = (try! Topic(CollidingTopicNames.legacy32.first), try! Topic(CollidingTopicNames.legacy32.second))
    static let crafted64Pair = (try! Topic(CollidingTopicNames.crafted64.first), try! Topic(CollidingTopicNames.crafted64.second))

    static func position(_ ordinal: UInt64, epoch: UInt32 = 7) -> TopicPosition {
        TopicPosition(epoch: epoch, id: StreamID(milliseconds: 1_795_285_128_000 + ordinal, ordinal: ordinal))
    }

    @Test("the planted pairs really collide, each at its own width")
    func plantedPairsCollide() {
        let (a, b) = Self.legacyPair
        #expect(a.legacyCursorKey == b.legacyCursorKey)
        #expect(a.cursorKey != b.cursorKey)
        let (c, d) = Self.crafted64Pair
        #expect(c != d)
        #expect(c.cursorKey == d.cursorKey)
    }

    @Test("a pair with colliding 32-bit keys resumes exactly from a new cursor")
    func legacyPairResumesFromNewCursor() throws {
        let topics = [Self.legacyPair.0, Self.legacyPair.1].sorted()
        let positions = [Self.position(3), Self.position(2)]
        let cursor = try Cursor(encoded: Cursor(topics: topics, positions: positions).encoded)
        #expect(cursor.positions(for: topics) == positions)
        #expect(cursor.positions(for: [topics[1]]) == [positions[1]])
    }

    @Test("a version 1 cursor of a colliding pair resumes the same pair by order")
    func legacyCursorResumesSameSetByOrder() throws {
        let topics = [Self.legacyPair.0, Self.legacyPair.1].sorted()
        let positions = [Self.position(3), Self.position(2)]
        let legacy = Cursor.legacy(topics: topics, positions: positions)
        #expect(legacy.encoded.first == "A", "a version 1 cursor starts with byte 1, base64url 'AQ'")
        let decoded = try Cursor(encoded: legacy.encoded)
        #expect(decoded == legacy)
        #expect(decoded.positions(for: topics) == positions)
    }

    @Test("a version 1 cursor never resumes a topic from a colliding entry it cannot tell apart")
    func legacyCursorAmbiguityStartsFromNow() throws {
        let (a, b) = Self.legacyPair
        let other = try Topic("orders/1")
        // Made for {a, other}; the reconnection asks for {a, b}: the entry of `a` could be either's.
        let legacy = Cursor.legacy(topics: [a, other].sorted(), positions: [Self.position(4), Self.position(9)].sortedLike([a, other]))
        #expect(legacy.positions(for: [a, b].sorted()) == [nil, nil])
        #expect(legacy.positions(for: [a]) == [Self.position(4)])
        // Not asserted: {b, other}. A 32-bit key cannot tell a dropped `a` from an added `b`; version 1 cursors
        // have this limit (docs/api.md), and browsers replace them with their first event from this version.
    }

    @Test("topics whose 64-bit keys collide are named in full and resume exactly")
    func crafted64PairIsNamed() throws {
        let (c, d) = Self.crafted64Pair
        let plain = try Topic("room/1")
        let topics = [c, d, plain].sorted()
        let references = Cursor.references(for: topics)
        #expect(references == topics.map { $0 == plain ? .key($0.cursorKey) : .name($0.name) })
        let positions = [Self.position(1), Self.position(2), Self.position(3)]
        let text = Cursor(topics: topics, positions: positions).encoded
        let decoded = try Cursor(encoded: text)
        #expect(decoded.positions(for: topics) == positions)
        // Dropping one of the pair: the other is still found by its name.
        let remaining = topics.filter { $0 != d }
        #expect(decoded.positions(for: remaining) == zip(topics, positions).filter { $0.0 != d }.map { $0.1 })
    }

    @Test("a keyed entry whose key two requested topics share resumes neither")
    func keyedEntryAmbiguityStartsFromNow() throws {
        let (c, d) = Self.crafted64Pair
        let cursor = Cursor(topics: [c], positions: [Self.position(5)])
        #expect(cursor.entries.map(\.topic) == [.key(c.cursorKey)])
        #expect(cursor.positions(for: [c, d].sorted()) == [nil, nil])
        #expect(cursor.positions(for: [c]) == [Self.position(5)])
    }

    @Test("a changed set resumes the known topics, starts the new ones from now, ignores the dropped ones")
    func changedSet() throws {
        let names = ["a", "b", "c", "d"].map { try! Topic($0) }
        let cursor = try Cursor(encoded: Cursor(topics: Array(names[0...2]), positions: [1, 2, 3].map { Self.position($0) }).encoded)
        #expect(cursor.positions(for: [names[1], names[3]]) == [Self.position(2), nil])
    }
}

extension Cursor {
    /// A version 1 cursor as Herald wrote it before December 2026: 32-bit keys in the connection's sorted order.
    static func legacy(topics: [Topic], positions: [TopicPosition]) -> Cursor {
        Cursor(entries: zip(topics, positions).map { Entry(topic: .legacyKey($0.legacyCursorKey), position: $1) })
    }
}

extension Array where Element == TopicPosition? {
    /// These positions, given in the order of `topics`, reordered to follow `topics.sorted()`.
    func sortedLike(_ topics: [Topic]) -> [TopicPosition?] {
        zip(topics, self).sorted { $0.0 < $1.0 }.map(\.1)
    }
}

extension Array where Element == TopicPosition {
    func sortedLike(_ topics: [Topic]) -> [TopicPosition] {
        zip(topics, self).sorted { $0.0 < $1.0 }.map(\.1)
    }
}
