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
            // why: compared as bytes; String's prefix and suffix checks work on characters, which costs
            // on every live message.
            let (bytes, head, tail) = (channel.utf8, prefix.utf8, ":{".utf8)
            let suffix = "}:live".utf8
            guard bytes.count > head.count + tail.count + suffix.count,
                  bytes.starts(with: head), bytes.dropFirst(head.count).starts(with: tail),
                  bytes.suffix(suffix.count).elementsEqual(suffix)
            else { return nil }
            return try? Topic(String(Substring(bytes.dropFirst(head.count + tail.count).dropLast(suffix.count))))
        }
    }
}
