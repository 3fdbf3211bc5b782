/// Reads topic histories: what catch-up on connect and healing after a lost live feed need from a broker.
public protocol TopicHistoryReading: Sendable {
    /// Reads up to `limit` events of `topic` with ids after `after`, with the topic's epoch and last id.
    /// `after == nil` reads only the epoch and last id (the "now" of a fresh subscriber).
    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory
}

extension TopicHistoryReading {
    /// Every event after `start`, page by page: nothing but the end for a fresh reader (`start == nil`);
    /// otherwise the events after the position in the current epoch, or the whole retained history of a
    /// newer epoch. Stops after `maximumReplay` events (the caller sees the rest as trimmed).
    func catchUpHistory(of topic: Topic, from start: TopicPosition?, pageSize: Int, maximumReplay: Int) async throws -> TopicHistory {
        guard let start else { return try await history(of: topic, after: nil, limit: 0) }
        return try await pagedHistory(of: topic, from: start, pageSize: pageSize) { $0.events.count < maximumReplay }.history
    }

    /// The paging of a catch-up, shared by one reader's `catchUpHistory` and the reads `SharedHistoryReader`
    /// makes for many: the events after `start` in its epoch, or the whole retained history of a newer
    /// epoch; after a full page, the next one while `wantsMore` holds for what was read so far.
    ///
    /// Returns the history, the id its events follow, and whether `wantsMore` stopped the reading (the
    /// topic may then go on after the events).
    func pagedHistory(
        of topic: Topic,
        from start: TopicPosition,
        pageSize: Int,
        while wantsMore: (TopicHistory) -> Bool
    ) async throws -> (history: TopicHistory, after: StreamID, stoppedEarly: Bool) {
        var after = start.epoch == 0 ? .zero : start.id
        var history = try await history(of: topic, after: after, limit: pageSize)
        // why: a newer epoch means the topic's history was lost and started again; its ids do not continue `start`.
        if history.epoch != 0 && start.epoch != 0 && history.epoch != start.epoch && after != .zero {
            after = .zero
            history = try await self.history(of: topic, after: .zero, limit: pageSize)
        }
        var lastPageCount = history.events.count
        while lastPageCount == pageSize, let last = history.events.last {
            guard wantsMore(history) else { return (history, after, true) }
            let page = try await self.history(of: topic, after: last.position.id, limit: pageSize)
            guard page.epoch == history.epoch else { break }
            history.events += page.events
            history.last = page.last
            lastPageCount = page.events.count
        }
        return (history, after, false)
    }
}

/// A slice of one topic's history and where the topic stands now.
public struct TopicHistory: Sendable, Equatable {
    /// The topic's epoch; 0 when the topic has no history at all.
    public var epoch: UInt32
    /// The id of the topic's last event (`StreamID.zero` when it has none).
    public var last: StreamID
    /// Events after the requested id, oldest first.
    public var events: [StoredEvent]

    public init(epoch: UInt32, last: StreamID, events: [StoredEvent]) {
        self.epoch = epoch
        self.last = last
        self.events = events
    }

    /// The history of a topic that has never had an event.
    public static let empty = TopicHistory(epoch: 0, last: .zero, events: [])
}
