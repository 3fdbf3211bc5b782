import NIOCore

extension MemoryBroker {
    /// Every topic's log, bounded in number and in idle time: the memory backend's only per-topic state.
    ///
    /// Guarantees:
    /// - At most `maxTopics` topics are kept: creating one more first drops the topic published to least
    ///   recently. A dropped topic is gone as if deleted: a cursor into it gets a `herald.reset`
    ///   (`history_deleted`, or `history_recreated` once it has events again), and its next event starts a
    ///   new epoch.
    /// - With a maximum age, a topic not published to for longer is dropped by `expireIdle(now:)`, which
    ///   costs O(1) per dropped topic (amortised): topics are kept in publish-recency order.
    /// - The storage shrinks when mostly empty. why: a Swift `Dictionary` never gives capacity back on
    ///   removal, so a node that once held a million topics would keep a table sized for a million.
    struct TopicTable {
        private struct Slot {
            var log: TopicLog
            /// The topic's latest entry in `recency` (older entries of the topic there are stale).
            var touch: UInt64
        }

        let maxTopics: Int
        private var slots: [Topic: Slot] = [:]
        /// Topics in the order they were last published to, oldest first, with the touch number of that
        /// publish; an entry whose number is not its topic's current `touch` is stale and skipped.
        private var recency = CircularBuffer<(topic: Topic, touch: UInt64)>()
        private var lastTouch: UInt64 = 0

        init(maxTopics: Int) {
            precondition(maxTopics > 0, "the memory backend keeps at least one topic")
            self.maxTopics = maxTopics
        }

        /// Topics held now.
        var count: Int { slots.count }

        /// Entries of the recency order, stale ones included (at most about twice `count`, plus a little).
        var recencyCount: Int { recency.count }

        /// True when `topic` has a log that was idle longer than the maximum age (see `TopicLog.isExpired`).
        func isExpired(_ topic: Topic, _ retention: RetentionPolicy, now: UInt64) -> Bool {
            slots[topic]?.log.isExpired(retention, now: now) ?? false
        }

        /// Runs `body` on the log of `topic` (created with `makeLog` if the topic has none, dropping the least
        /// recently published topic first when the table is full) and marks the topic as published to now.
        mutating func publish<Result>(to topic: Topic, makeLog: () -> TopicLog, _ body: (inout TopicLog) -> Result) -> Result {
            lastTouch += 1
            let touch = lastTouch
            if slots[topic] == nil {
                while slots.count >= maxTopics, dropLeastRecent() {}
                slots[topic] = Slot(log: makeLog(), touch: touch)
            }
            slots[topic]!.touch = touch
            recency.append((topic, touch))
            compactRecencyIfStale()
            return body(&slots[topic]!.log)
        }

        /// Runs `body` on the log of `topic` in place (a read does not count as a publish); nil when the
        /// topic has none (never published, dropped or expired).
        mutating func modify<Result>(_ topic: Topic, _ body: (inout TopicLog) -> Result) -> Result? {
            guard slots[topic] != nil else { return nil }
            return body(&slots[topic]!.log)
        }

        /// Drops `topic` (deleted by an operator, or found expired).
        mutating func remove(_ topic: Topic) {
            guard slots.removeValue(forKey: topic) != nil else { return }
            shrinkIfSparse()
        }

        /// Drops the topics idle longer than `retention.maxAge`, oldest first; returns how many.
        @discardableResult
        mutating func expireIdle(_ retention: RetentionPolicy, now: UInt64) -> Int {
            guard retention.maxAge != nil else { return 0 }
            var dropped = 0
            while let (topic, touch) = recency.first {
                guard let slot = slots[topic], slot.touch == touch else {
                    recency.removeFirst()
                    continue
                }
                // why: recency order is publish order, so the first live entry is the longest idle topic.
                guard slot.log.isExpired(retention, now: now) else { break }
                recency.removeFirst()
                slots[topic] = nil
                dropped += 1
            }
            if dropped > 0 { shrinkIfSparse() }
            return dropped
        }

        /// Drops the topic published to least recently; false when there is none.
        private mutating func dropLeastRecent() -> Bool {
            while let (topic, touch) = recency.popFirst() {
                guard slots[topic]?.touch == touch else { continue }
                slots[topic] = nil
                return true
            }
            return false
        }

        /// Rebuilds the recency order without its stale entries once they are the majority.
        /// why: every publish appends an entry; compacting at twice the live count keeps it O(1) amortised
        /// and the order at most about twice the number of topics long.
        private mutating func compactRecencyIfStale() {
            guard recency.count > 2 * slots.count + 64 else { return }
            var live = CircularBuffer<(topic: Topic, touch: UInt64)>(initialCapacity: slots.count + 16)
            for entry in recency where slots[entry.topic]?.touch == entry.touch {
                live.append(entry)
            }
            recency = live
        }

        /// Gives storage back once at most a quarter of it is used (see `Dictionary.shrinkIfMostlyEmpty`).
        private mutating func shrinkIfSparse() {
            slots.shrinkIfMostlyEmpty()
            if recency.capacity > 1024, recency.count * 4 < recency.capacity {
                var smaller = CircularBuffer<(topic: Topic, touch: UInt64)>(initialCapacity: recency.count * 2)
                smaller.append(contentsOf: recency)
                recency = smaller
            }
        }
    }
}
