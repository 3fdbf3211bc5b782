import HeraldAuth
import HeraldCore
import Testing

@Suite("Topic patterns", .timeLimit(.minutes(1)))
struct TopicPatternTests {
    func matches(_ pattern: String, _ topic: String) throws -> Bool {
        try TopicPattern(pattern).matches(try Topic(topic))
    }

    @Test("an exact pattern matches only its own topic")
    func exact() throws {
        #expect(try matches("news", "news"))
        #expect(try !matches("news", "news/1"))
        #expect(try !matches("news", "new"))
        #expect(try !matches("news", "newsroom"))
    }

    @Test("a prefix pattern matches every topic under the prefix, not the prefix itself")
    func prefix() throws {
        #expect(try matches("orders/*", "orders/42"))
        #expect(try matches("orders/*", "orders/42/items"))
        #expect(try !matches("orders/*", "orders"))
        #expect(try !matches("orders/*", "orders/"))
        #expect(try !matches("orders/*", "ordersx/1"))
        #expect(try !matches("orders/*", "shop/orders/1"))
    }

    @Test("a lone star matches every topic; a star elsewhere is an ordinary character")
    func star() throws {
        #expect(try matches("*", "anything/at/all"))
        #expect(try matches("a*b", "a*b"))
        #expect(try !matches("a*b", "axb"))
        #expect(try !matches("orders*", "orders1"))
    }

    @Test("a comma-separated list parses with spaces, and covers any of its topics")
    func list() throws {
        let patterns = try TopicPattern.list("news/*, status")
        #expect(patterns.map(\.description) == ["news/*", "status"])
        #expect(patterns.covers(try Topic("status")))
        #expect(patterns.covers(try Topic("news/today")))
        #expect(!patterns.covers(try Topic("orders/1")))
    }

    @Test("empty patterns and an empty prefix are refused", arguments: ["", "/*", "a,,b"])
    func invalid(_ text: String) {
        #expect(throws: AuthError.self) { try TopicPattern.list(text) }
    }
}
