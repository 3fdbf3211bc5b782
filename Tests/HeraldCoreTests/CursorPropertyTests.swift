import TestSupport
import Testing
@testable import HeraldCore

/// encode → decode → positions over random topic sets with planted collisions (a 32-bit pair and a crafted
/// 64-bit pair), for cursors of the same set and of changed sets. Seeded, so that a failure reproduces.
@Suite("Cursor properties")
struct CursorPropertyTests {
    static let planted: [Topic] = [
        CursorMatchingTests.legacyPair.0, CursorMatchingTests.legacyPair.1,
        CursorMatchingTests.crafted64Pair.0, CursorMatchingTests.crafted64Pair.1,
    ]

    @Test("a cursor resumes its own topic set exactly", arguments: 0..<4)
    func sameSet(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<250 {
            let (topics, positions) = randomConnection(&random)
            let cursor = Cursor(topics: topics, positions: positions)
            let decoded = try Cursor(encoded: cursor.encoded)
            #expect(decoded == cursor)
            #expect(decoded.positions(for: topics) == positions)
            let legacy = try Cursor(encoded: Cursor.legacy(topics: topics, positions: positions).encoded)
            #expect(legacy.positions(for: topics) == positions)
        }
    }

    @Test("in a changed set no topic resumes from another topic's position", arguments: 0..<4)
    func changedSet(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<250 {
            let (topics, positions) = randomConnection(&random)
            let own = Dictionary(uniqueKeysWithValues: zip(topics, positions))
            let kept = topics.filter { _ in random.next() % 2 == 0 }
            let added = randomTopics(&random, count: Int(random.next() % 4))
            let request = Array(Set(kept + added)).sorted()
            guard !request.isEmpty else { continue }
            let dropped = topics.filter { !request.contains($0) }

            let cursor = try Cursor(encoded: Cursor(topics: topics, positions: positions).encoded)
            let named = Set(zip(topics, Cursor.references(for: topics)).compactMap { if case .name = $1 { $0 } else { nil } })
            for (topic, resumed) in zip(request, cursor.positions(for: request)) {
                let sharesKeyInRequest = request.contains { $0 != topic && $0.cursorKey == topic.cursorKey }
                if let position = own[topic] {
                    let expected = !named.contains(topic) && sharesKeyInRequest ? nil : position
                    #expect(resumed == expected, "\(topic) of \(topics) requested as \(request)")
                } else if !dropped.contains(where: { $0.cursorKey == topic.cursorKey }) {
                    // why: the documented limit — a topic added in place of a dropped one with the same 64-bit
                    // key, which takes a crafted pair of names, is the only case not asserted here.
                    #expect(resumed == nil, "\(topic) is new in \(request), cursor of \(topics)")
                }
            }

            let legacy = Cursor.legacy(topics: topics, positions: positions)
            for (topic, resumed) in zip(request, legacy.positions(for: request)) {
                guard let resumed else { continue }
                let sameKeyDropped = dropped.contains { $0.legacyCursorKey == topic.legacyCursorKey }
                #expect(resumed == own[topic] || sameKeyDropped, "\(topic) of \(topics) requested as \(request)")
            }
        }
    }

    /// 1 to 32 topics, sorted and unique, often with one or both planted pairs; each at its own position.
    private func randomConnection(_ random: inout SplitMix64) -> ([Topic], [TopicPosition]) {
        var topics = Set(randomTopics(&random, count: 1 + Int(random.next() % 28)))
        for topic in Self.planted where random.next() % 3 == 0 { topics.insert(topic) }
        let sorted = topics.sorted()
        let positions = sorted.indices.map { index in
            random.next() % 8 == 0
                ? TopicPosition.none
                : TopicPosition(epoch: UInt32(truncatingIfNeeded: random.next()) | 1, id: StreamID(milliseconds: random.next() >> 20, ordinal: UInt64(index + 1) * 1000 + random.next() % 1000))
        }
        return (sorted, positions)
    }

    private func randomTopics(_ random: inout SplitMix64, count: Int) -> [Topic] {
        (0..<count).map { _ in
            let pick = random.next() % 10
            return pick < 4 ? Self.planted[Int(pick)] : try! Topic("user/\(random.next() % 100_000)")
        }
    }
}
