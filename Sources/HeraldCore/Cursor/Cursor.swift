/// The resume point of one SSE connection: a position for every topic of the connection.
///
/// Each event a connection receives carries the connection's whole cursor in its `id:` field, so the one
/// `Last-Event-ID` a browser sends on reconnect resumes every topic exactly. A cursor names topics by their
/// 32-bit `Topic.cursorKey`, not by name, to stay compact; a topic of the request that the cursor does not
/// mention starts at its current end, and cursor entries for topics not requested are ignored.
///
/// The text form is opaque to clients: see `Cursor+Encoding.swift`.
public struct Cursor: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var topicKey: UInt32
        public var position: TopicPosition

        public init(topicKey: UInt32, position: TopicPosition) {
            self.topicKey = topicKey
            self.position = position
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// A cursor for `topics` at `positions` (same order).
    public init(topics: [Topic], positions: [TopicPosition]) {
        precondition(topics.count == positions.count, "one position per topic")
        self.entries = zip(topics, positions).map { Entry(topicKey: $0.cursorKey, position: $1) }
    }

    /// The position this cursor holds for `topic`, or nil when the cursor does not mention it.
    public func position(of topic: Topic) -> TopicPosition? {
        let key = topic.cursorKey
        return entries.first(where: { $0.topicKey == key })?.position
    }
}
