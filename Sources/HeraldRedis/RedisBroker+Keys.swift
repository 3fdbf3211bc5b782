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

    /// The Redis names of the nodes' subscriber reports (`SubscriberReporter`). They share the hash tag
    /// `{nodes}`: every report sits in one Redis Cluster slot, so the report script can touch the directory and
    /// a node's hash together, and reading a topic's count across nodes asks one shard.
    struct NodeKeys: Equatable {
        /// A sorted set of node ids, scored by the Redis time (ms) of each node's last report; entries older
        /// than the expiry are pruned by every report. Expires with the last node.
        let directory: String
        private let base: String

        init(prefix: String) {
            base = "\(prefix):{nodes}:"
            directory = base + "directory"
        }

        /// A node's report: a hash of topic → the node's subscribers of it, plus `liveField`; the whole
        /// hash expires when the node stops reporting.
        func report(of nodeID: String) -> String {
            base + "subscribers:" + nodeID
        }

        /// The field that every live report holds (the Redis time of its last refresh). why: topics are never
        /// empty, so it cannot clash with one, and a node with no subscriber at all still shows as reporting.
        static let liveField = ""
    }
}
