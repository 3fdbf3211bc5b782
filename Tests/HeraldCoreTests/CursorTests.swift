import Testing
@testable import HeraldCore

@Suite("Cursor encoding")
struct CursorTests {
    let orders = try! Topic("orders/42")
    let users = try! Topic("users/7")

    @Test("a one-topic cursor round-trips and stays compact")
    func singleTopicRoundTrip() throws {
        let position = TopicPosition(epoch: 3_000_000_123, id: StreamID(milliseconds: 1_795_285_128_452, ordinal: 17))
        let cursor = Cursor(topics: [orders], positions: [position])
        let text = cursor.encoded
        #expect(text.count == 30)
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let decoded = try Cursor(encoded: text)
        #expect(decoded == cursor)
        #expect(decoded.positions(for: [orders]) == [position])
        #expect(decoded.positions(for: [users]) == [nil])
    }

    @Test("a multi-topic cursor keeps a position for every topic")
    func multiTopicRoundTrip() throws {
        let a = TopicPosition(epoch: 1, id: StreamID(milliseconds: 10, ordinal: 1))
        let b = TopicPosition.none
        let cursor = Cursor(topics: [orders, users], positions: [a, b])
        let decoded = try Cursor(encoded: cursor.encoded)
        #expect(decoded.positions(for: [orders, users]) == [a, b])
    }

    @Test("cursor lengths are the ones docs/api.md gives, for 1 and 32 topics, before and after version 2", arguments: [
        (1, 24, 30), (32, 686, 856),
    ])
    func documentedLengths(topicCount: Int, legacyLength: Int, length: Int) throws {
        let topics = try (0..<topicCount).map { try Topic("user/\($0)") }.sorted()
        let position = TopicPosition(epoch: 2_807_154_123, id: StreamID(milliseconds: 1_765_010_000_123, ordinal: 1))
        let positions = Array(repeating: position, count: topicCount)
        let legacy = Cursor(entries: zip(topics, positions).map { .init(topic: .legacyKey($0.legacyCursorKey), position: $1) })
        #expect(legacy.encoded.count == legacyLength)
        #expect(Cursor(topics: topics, positions: positions).encoded.count == length)
    }

    @Test("extreme values survive encoding", arguments: [UInt64.min, 1, 127, 128, UInt64(UInt32.max), UInt64.max])
    func extremeValues(value: UInt64) throws {
        let position = TopicPosition(epoch: UInt32.max, id: StreamID(milliseconds: value, ordinal: value))
        let cursor = Cursor(topics: [orders], positions: [position])
        #expect(try Cursor(encoded: cursor.encoded) == cursor)
    }

    @Test("garbage is rejected as a malformed cursor", arguments: [
        "", "not a cursor!", "1795285128452-0", "AQ", "AgE", "AQHz8_Pz8_Pz8_Pz8_Pz8_Pz8_Pz8w", "A",
        "AQA", "AgA", "BAEAAAAAAAAAAAAAAA",
    ])
    func garbageIsRejected(text: String) {
        #expect(throws: HeraldError.self) { try Cursor(encoded: text) }
        do {
            _ = try Cursor(encoded: text)
        } catch {
            #expect(error.code == .malformedCursor)
            #expect(error.message.contains("reconnect without it"))
        }
    }

    @Test("trailing bytes and overlong varints are rejected")
    func nonCanonicalIsRejected() {
        let valid = Cursor(topics: [orders], positions: [.none]).encoded
        let bytes = Base64URL.decode(valid)!
        #expect(throws: HeraldError.self) { try Cursor(encoded: Base64URL.encode(bytes + [0])) }
        // count 1 spelled with a redundant continuation group: 0x81 0x00
        var overlong = bytes
        overlong.replaceSubrange(1...1, with: [0x81, 0x00])
        #expect(throws: HeraldError.self) { try Cursor(encoded: Base64URL.encode(overlong)) }
    }

    @Test("a named entry that is not a valid topic, a topic named twice, or version 3 without a name is malformed")
    func hostileNamedEntries() {
        let position: [UInt8] = [0, 0, 0]  // epoch, ms, ordinal
        let key = [UInt8](repeating: 7, count: 8)
        let cases: [[UInt8]] = [
            [3, 1, 3] + Array("a\nb".utf8) + position,  // a control character in the name
            [3, 1, 2, 0xC3, 0x28] + position,  // not UTF-8
            [3, 1, 0x81, 0x02] + [UInt8](repeating: 0x61, count: 257) + position,  // 257 bytes, one past the limit
            [3, 2, 1, 0x61] + position + [1, 0x61] + position,  // the same name twice
            [2, 2] + key + position + key + position,  // the same key twice
            [3, 1, 0] + key + position,  // version 3 without a name: version 2 spells it
        ]
        for bytes in cases {
            #expect(throws: HeraldError.self, "\(bytes.prefix(12))") { try Cursor(encoded: Base64URL.encode(bytes)) }
        }
        #expect((try? Cursor(encoded: Base64URL.encode([3, 1, 1, 0x61] + position)))?.entries.first?.topic == .name("a"))
    }

    @Test("a claimed count above the limit is rejected before allocating")
    func hugeCountIsRejected() {
        var bytes: [UInt8] = [Cursor.keyedVersion]
        Varint.append(UInt64(Cursor.maximumEntries + 1), to: &bytes)
        #expect(throws: HeraldError.self) { try Cursor(encoded: Base64URL.encode(bytes)) }
    }

    @Test("stream ids parse and print as Redis stream ids")
    func streamIDText() {
        #expect(StreamID("1795285128452-17") == StreamID(milliseconds: 1_795_285_128_452, ordinal: 17))
        #expect(StreamID("12") == nil)
        #expect(StreamID("a-b") == nil)
        for malformed in ["+5-3", "5-+3", "-3", "5-", "18446744073709551616-1", "5-3 ", "5-3-1"] {
            #expect(StreamID(malformed) == nil, "\(malformed)")
        }
        #expect(StreamID("18446744073709551615-0") == StreamID(milliseconds: .max, ordinal: 0))
        #expect(StreamID(milliseconds: 5, ordinal: 2).description == "5-2")
        #expect(StreamID(milliseconds: 5, ordinal: 9) < StreamID(milliseconds: 6, ordinal: 1))
    }
}
