import Logging

/// Metadata keys of HeraldCore's log messages, defined once.
enum LogKeys {
    static let topic = "herald.topic"
    static let position = "herald.position"
    static let receivedPosition = "herald.position.received"
    static let connections = "herald.connections"
    static let error = "herald.error"
    static let topicCount = "herald.topics"
    static let eventCount = "herald.events"
    static let unreadableTopicCount = "herald.topics.unreadable"
    static let bufferedLiveLimit = "herald.buffered_live.limit"
}
