/// How much history each topic keeps, and for how long publishes are deduplicated; shared by both brokers.
public struct RetentionPolicy: Sendable, Equatable {
    /// Events kept per topic. Redis trims approximately (`MAXLEN ~`, whole stream nodes), so it may keep
    /// somewhat more; never fewer.
    public var maxLength: Int
    /// When set, events older than this are trimmed, and a topic idle this long disappears from the backend.
    public var maxAge: Duration?
    /// How long a publish's idempotency key is remembered. why: a publisher retries within seconds or
    /// minutes of a failure; remembering keys longer only costs memory (one small key per keyed event).
    public var idempotencyWindow: Duration

    public init(maxLength: Int = 1000, maxAge: Duration? = nil, idempotencyWindow: Duration = .seconds(600)) {
        self.maxLength = maxLength
        self.maxAge = maxAge
        self.idempotencyWindow = idempotencyWindow
    }
}
