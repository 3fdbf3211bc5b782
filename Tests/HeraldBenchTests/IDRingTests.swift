import Testing
@testable import HeraldBench

@Suite("The ring of last event ids")
struct IDRingTests {
    @Test("the oldest of the last depth events is found once depth events were recorded")
    func oldest() {
        var ring = IDRing(subscribers: 2, depth: 3)
        for sequence in UInt64(1)...2 { ring.record(subscriber: 1, sequence: sequence, id: Array("id-\(sequence)".utf8)[...]) }
        #expect(ring.oldest(subscriber: 1) == nil)
        for sequence in UInt64(3)...7 { ring.record(subscriber: 1, sequence: sequence, id: Array("id-\(sequence)".utf8)[...]) }
        let entry = ring.oldest(subscriber: 1)
        #expect(entry?.sequence == 5 && entry?.newest == 7 && entry.map { String(decoding: $0.id, as: UTF8.self) } == "id-5")
        #expect(ring.oldest(subscriber: 0) == nil)
    }

    @Test("an id longer than the slots widens them and keeps the ids already recorded")
    func widens() {
        var ring = IDRing(subscribers: 1, depth: 2)
        ring.record(subscriber: 0, sequence: 1, id: Array("short".utf8)[...])
        let long = String(repeating: "L", count: 100)
        ring.record(subscriber: 0, sequence: 2, id: Array(long.utf8)[...])
        #expect(ring.oldest(subscriber: 0).map { String(decoding: $0.id, as: UTF8.self) } == "short")
        ring.record(subscriber: 0, sequence: 3, id: [])
        #expect(ring.oldest(subscriber: 0).map { String(decoding: $0.id, as: UTF8.self) } == long)
    }
}
