/// How much history each topic keeps, shared by both brokers.
public struct RetentionPolicy: Sendable, Equatable {
    /// Events kept per topic. Redis trims approximately (`MAXLEN ~`, whole stream nodes), so it may keep
    /// somewhat more; never fewer.
    public var maxLength: Int
    /// When set, events older than this are trimmed, and a topic idle this long disappears from the backend.
    public var maxAge: Duration?

    public init(maxLength: Int = 1000, maxAge: Duration? = nil) {
        self.maxLength = maxLength
        self.maxAge = maxAge
    }
}
