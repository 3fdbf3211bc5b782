/// One ranged read of a topic's history made for several catching-up readers, and each reader's part of it.
///
/// `history(for:)` gives a reader exactly what `catchUpHistory(of:from:pageSize:maximumReplay:)` would give
/// it over the same stored events: the events after its own position (from the start of a newer epoch if
/// its epoch is gone), at most `replayCap` of them, with the topic's epoch and last id as read. The events
/// are contiguous (pages are chained), so a reader's part has no gap and no duplicate by construction.
struct SharedHistory: Sendable {
    /// The topic's epoch and last id as of the last page read (one atomic snapshot of the topic).
    var epoch: UInt32
    var last: StreamID
    /// The id the events follow (exclusive); nil when only the topic's epoch and last id were read.
    var after: StreamID?
    /// Consecutive events of `epoch` after `after`, oldest first.
    var events: [StoredEvent]
    /// False when reading stopped because every member had its fill, so the topic may go on after `events`.
    var reachedEnd: Bool

    /// Most events one reader replays: what the paging of `catchUpHistory` stops at, whole pages of
    /// `pageSize` until `maximumReplay` is reached (always at least one page).
    static func replayCap(pageSize: Int, maximumReplay: Int) -> Int {
        let pages = max(1, (maximumReplay + pageSize - 1) / pageSize)
        return pages * pageSize
    }

    /// Where a reader at `start` continues in a history of `epoch`: after its own id in the same epoch,
    /// otherwise from the start of the retained history.
    static func continuation(of start: TopicPosition, in epoch: UInt32) -> StreamID {
        start.epoch == epoch ? start.id : .zero
    }

    /// The history a reader at `start` needs, or nil when this read does not cover it (it then reads alone).
    func history(for start: TopicPosition?, replayCap: Int) -> TopicHistory? {
        guard let start else { return TopicHistory(epoch: epoch, last: last, events: []) }
        guard epoch != 0 else { return TopicHistory(epoch: epoch, last: last, events: []) }
        guard let after else { return nil }
        let from = Self.continuation(of: start, in: epoch)
        guard after <= from else { return nil }
        let first = Self.firstIndex(in: events, after: from)
        let end = min(events.count, first + replayCap)
        guard end - first == replayCap || reachedEnd else { return nil }
        return TopicHistory(epoch: epoch, last: last, events: Array(events[first..<end]))
    }

    /// True once a reader continuing after `farthest` (the newest of the readers) has `replayCap` of
    /// `events`; all the others then have theirs too.
    static func fills(_ events: [StoredEvent], after farthest: StreamID, replayCap: Int) -> Bool {
        events.count - firstIndex(in: events, after: farthest) >= replayCap
    }

    /// The index of the first of `events` with an id above `id` (binary search; ids increase).
    private static func firstIndex(in events: [StoredEvent], after id: StreamID) -> Int {
        var (low, high) = (0, events.count)
        while low < high {
            let middle = (low + high) / 2
            if events[middle].position.id <= id { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
