/// What one SSE connection asked for: its topics and, per topic, where to resume (nil = from now).
public struct StreamRequest: Sendable, Equatable {
    /// Sorted and unique.
    public let topics: [Topic]
    /// One entry per topic: the position to resume after, or nil to start at the topic's current end.
    public let start: [TopicPosition?]

    /// Builds a request from the topics of the URL (any order, duplicates allowed) and an optional cursor.
    /// Cursor entries for other topics are ignored; topics the cursor does not mention start from now
    /// (`Cursor.positions(for:)` says when an entry is taken to mention a topic).
    public init(topics: [Topic], cursor: Cursor?) {
        let sorted = Array(Set(topics)).sorted()
        self.topics = sorted
        self.start = cursor?.positions(for: sorted) ?? Array(repeating: nil, count: sorted.count)
    }
}
