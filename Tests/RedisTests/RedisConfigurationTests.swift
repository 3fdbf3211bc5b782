import Testing

@testable import Redis

@Suite("Redis configuration from a URL")
struct RedisConfigurationTests {
    @Test("A bare host gets the default port, database and no credentials")
    func bareHost() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.host == "localhost")
        #expect(configuration.port == 6379)
        #expect(configuration.database == 0)
        #expect(configuration.password == nil)
        #expect(configuration.username == nil)
        #expect(configuration.commandConnectionCount == 2)
    }

    @Test("User, percent-encoded password, port and database are all read")
    func fullURL() throws {
        let configuration = try RedisConfiguration(url: "redis://herald:p%40ss%3Aword@10.0.0.5:6380/3")
        #expect(configuration.username == "herald")
        #expect(configuration.password == "p@ss:word")
        #expect(configuration.host == "10.0.0.5")
        #expect(configuration.port == 6380)
        #expect(configuration.database == 3)
    }

    @Test("A password without a user and a bracketed IPv6 host are accepted")
    func passwordOnlyAndIPv6() throws {
        let configuration = try RedisConfiguration(url: "redis://:secret@[::1]:7000/")
        #expect(configuration.username == nil)
        #expect(configuration.password == "secret")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 7000)
    }

    @Test(
        "Invalid URLs are rejected with a message that says what is wrong",
        arguments: [
            ("rediss://host", "TLS"),
            ("http://host", "not supported"),
            ("localhost:6379", "must start with redis://"),
            ("redis://host:0", "port"),
            ("redis://host:abc", "port"),
            ("redis://host/x", "database"),
            ("redis://host/-1", "database"),
            ("redis://:6379", "no host"),
            ("redis://user@host", "no password"),
            ("redis://host?timeout=1", "query"),
            ("redis://:%zz@host", "%-escape"),
        ]
    )
    func invalidURLs(url: String, expectedFragment: String) {
        let error = #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(expectedFragment) == true, "\(error?.message ?? "")")
    }

    @Test("Validation rejects a pool of no connections")
    func validationRejectsEmptyPool() {
        var configuration = RedisConfiguration(host: "localhost")
        configuration.commandConnectionCount = 0
        let error = #expect(throws: RedisError.self) { try configuration.validate() }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test("Backoff delays grow from the minimum, stay within the maximum and keep a floor")
    func backoffBounds() {
        let backoff = RedisBackoff(minimum: .milliseconds(50), maximum: .seconds(2))
        for attempt in 0..<40 {
            let delay = backoff.delay(attempt: attempt)
            let base = min(Duration.milliseconds(50) * (1 << min(attempt, 20)), .seconds(2))
            #expect(delay >= base / 2 && delay <= base, "attempt \(attempt): \(delay)")
        }
    }
}
