import NIOCore

/// An event a publisher asks Herald to store and deliver.
public struct NewEvent: Sendable, Equatable {
    public var topic: Topic
    /// The SSE `event:` type, or nil for the default `message` type.
    public var type: String?
    /// The `data:` payload (UTF-8 text); multi-line data is sent as several `data:` lines.
    public var data: ByteBuffer
    /// When set, a retry of this publish within the idempotency window returns the first attempt's position
    /// instead of storing the event again. Scoped to the topic.
    public var idempotencyKey: String?

    public init(topic: Topic, type: String?, data: ByteBuffer, idempotencyKey: String? = nil) {
        self.topic = topic
        self.type = type
        self.data = data
        self.idempotencyKey = idempotencyKey
    }
}

/// An event as stored in a topic's history and delivered live: a `NewEvent` plus its position.
public struct StoredEvent: Sendable, Equatable {
    public var topic: Topic
    public var position: TopicPosition
    public var type: String?
    public var data: ByteBuffer

    public init(topic: Topic, position: TopicPosition, type: String?, data: ByteBuffer) {
        self.topic = topic
        self.position = position
        self.type = type
        self.data = data
    }
}
