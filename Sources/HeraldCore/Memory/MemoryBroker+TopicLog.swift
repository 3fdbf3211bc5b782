import NIOCore

extension MemoryBroker {
    /// The bounded history of one topic: events with contiguous ordinals, oldest first.
    struct TopicLog {
        struct Entry {
            var id: StreamID
            var type: String?
            var data: ByteBuffer
            var addedAt: UInt64
        }

        let epoch: UInt32
        private(set) var last = StreamID.zero
        private var entries: [Entry] = []
        /// Index of the oldest retained entry in `entries` (trimmed entries before it are dropped lazily).
        private var head = 0
        private var lastActivity: UInt64 = 0
        /// Idempotency keys seen within the window, and the same keys in expiry order (the window is fixed,
        /// so insertion order is expiry order) from `keysHead` on.
        private var positionsByKey: [String: TopicPosition] = [:]
        private var keysByExpiry: [(key: String, expiresAt: UInt64)] = []
        private var keysHead = 0

        init(epoch: UInt32) { self.epoch = epoch }

        mutating func append(type: String?, data: ByteBuffer, now: UInt64) -> TopicPosition {
            last = StreamID(milliseconds: max(now, last.milliseconds), ordinal: last.ordinal + 1)
            entries.append(Entry(id: last, type: type, data: data, addedAt: now))
            lastActivity = now
            return TopicPosition(epoch: epoch, id: last)
        }

        /// Applies the length and age limits.
        mutating func trim(_ retention: RetentionPolicy, now: UInt64) {
            var retained = entries.count - head
            if retained > retention.maxLength { head += retained - retention.maxLength }
            if let maxAge = retention.maxAge {
                let maxAgeMilliseconds = UInt64(maxAge / .milliseconds(1))
                let oldest = now > maxAgeMilliseconds ? now - maxAgeMilliseconds : 0
                while head < entries.count, entries[head].addedAt < oldest { head += 1 }
            }
            retained = entries.count - head
            // why: compacting only when half the array is dead keeps trimming O(1) amortised.
            if head > 64 && head > retained {
                entries.removeFirst(head)
                head = 0
            }
        }

        /// True when the topic was idle longer than the maximum age: it no longer exists, as in Redis.
        func isExpired(_ retention: RetentionPolicy, now: UInt64) -> Bool {
            guard let maxAge = retention.maxAge else { return false }
            return now > lastActivity && now - lastActivity > UInt64(maxAge / .milliseconds(1))
        }

        /// The position stored under an idempotency key that is still within its window.
        mutating func position(forIdempotencyKey key: String, now: UInt64) -> TopicPosition? {
            while keysHead < keysByExpiry.count, keysByExpiry[keysHead].expiresAt <= now {
                positionsByKey[keysByExpiry[keysHead].key] = nil
                keysHead += 1
            }
            // why: compacting only when half the array is dead keeps forgetting O(1) amortised.
            if keysHead > 64 && keysHead > keysByExpiry.count - keysHead {
                keysByExpiry.removeFirst(keysHead)
                keysHead = 0
            }
            return positionsByKey[key]
        }

        mutating func remember(_ key: String, position: TopicPosition, until expiresAt: UInt64) {
            positionsByKey[key] = position
            keysByExpiry.append((key, expiresAt))
        }

        /// Up to `limit` retained entries with an ordinal above `ordinal`.
        func events(after ordinal: UInt64, limit: Int) -> ArraySlice<Entry> {
            guard head < entries.count else { return [] }
            let first = entries[head].id.ordinal
            let start = head + Int(max(ordinal + 1, first) - first)
            guard start < entries.count else { return [] }
            return entries[start..<min(entries.count, start + limit)]
        }

        /// How many events are retained, with the first one's id (nil when none is). Trim first.
        var retained: (count: Int, first: StreamID?) {
            (entries.count - head, head < entries.count ? entries[head].id : nil)
        }
    }
}
