import Testing
@testable import HeraldCore

@Suite("Topic and event type validation")
struct TopicTests {
    @Test("ordinary topic names are accepted", arguments: ["orders/42", "user:7", "room.lobby", "ü/日本", String(repeating: "a", count: 256)])
    func acceptsTopics(name: String) throws {
        #expect(try Topic(name).name == name)
    }

    @Test("empty, long and control-character topics are rejected with a reason", arguments: [
        ("", "empty"), (String(repeating: "a", count: 257), "257 bytes"), ("a\nb", "U+A"), ("a\u{0}b", "U+0"), ("tab\there", "U+9"), ("del\u{7F}", "U+7F"), ("c1\u{85}x", "U+85"),
    ])
    func rejectsTopics(name: String, reason: String) {
        do {
            _ = try Topic(name)
            Issue.record("accepted \(name.debugDescription)")
        } catch {
            #expect(error.code == .invalidTopic)
            #expect(error.message.contains(reason))
        }
    }

    @Test("event types with CR, LF or NUL, empty ones and reserved ones are rejected", arguments: ["a\rb", "a\nb", "a\u{0}b", "", "herald.reset"])
    func rejectsEventTypes(type: String) {
        #expect(throws: HeraldError.self) { try EventType.validate(type) }
    }

    @Test("ordinary event types are accepted")
    func acceptsEventTypes() throws {
        try EventType.validate("order.updated")
        try EventType.validate("heraldic")
    }
}
