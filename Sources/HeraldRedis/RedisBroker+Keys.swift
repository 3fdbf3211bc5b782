import HeraldCore

extension RedisBroker {
    /// The Redis names of one topic. The topic is the hash tag, so its stream, meta hash and live channel
    /// share a Redis Cluster slot and one script can touch all three.
    struct Keys: Equatable {
        /// The topic's history: `XADD` entries `e` (event type, empty for none) and `d` (data), id `<ms>-<ordinal>`.
        let stream: String
        /// The hash `epoch`, `n` (last ordinal), `ms` (last id's milliseconds).
        let meta: String
        /// The sharded pub/sub channel carrying live envelopes (`RedisBroker+Envelope.swift`).
        let channel: String
        private let base: String

        init(prefix: String, topic: Topic) {
            base = "\(prefix):{\(topic.name)}:"
            stream = base + "stream"
            meta = base + "meta"
            channel = base + "live"
        }

        /// The string remembering a published event's `<epoch> <id>` under its idempotency key, for the
        /// idempotency window (`PX`).
        func idempotency(_ key: String) -> String {
            base + "idem:" + key
        }

        /// The topic of a live channel name, or nil when the channel is not one of ours.
        static func topic(ofChannel channel: String, prefix: String) -> Topic? {
            let head = "\(prefix):{"
            let tail = "}:live"
            guard channel.hasPrefix(head), channel.hasSuffix(tail), channel.utf8.count > head.utf8.count + tail.utf8.count else { return nil }
            return try? Topic(String(channel.dropFirst(head.count).dropLast(tail.count)))
        }
    }
}
