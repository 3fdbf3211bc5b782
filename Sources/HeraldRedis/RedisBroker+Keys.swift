import HeraldCore

extension RedisBroker {
    /// The Redis names of one topic. The topic is in the hash tag, so its stream, meta hash, idempotency keys
    /// and live channel share a Redis Cluster slot and one script can touch them all.
    ///
    /// Layout: `<prefix>:{<topic>}:<suffix>`, except, on a cluster, for a topic that starts with `}`:
    /// `<prefix>:}{<tag>}:{<topic>}:<suffix>`, where the tag is `~` and the topic's bytes without `}`. Suffixes:
    /// `stream`, `meta`, `live` (the channel) and `idem:<key>` with every `}` of the key written as a space.
    ///
    /// Why a topic has one slot: Redis hashes the bytes between the key's first `{` and the first `}` after it
    /// when there are any (the prefix has no `{`: `ServeSettings` refuses one on a cluster). In the first form
    /// that is the topic up to its first `}`, not empty as the topic does not start with `}`; in the second,
    /// the tag, never empty and made from the topic alone.
    ///
    /// Why two topics never share a name (the layout is injective): (1) the byte after `<prefix>:` is `{` in
    /// the first form and `}` in the second, so the forms never meet. (2) In the first form the name is
    /// `<prefix>:{` + X with X = topic + `}:` + suffix; no suffix contains `}` (an idempotency key is visible
    /// ASCII without spaces, so writing its `}` as spaces makes no `}` and maps two keys to two strings), so
    /// the topic is X up to its last `}` and the suffix what follows `}:`. (3) In the second form the tag has
    /// no `}`, so it ends at the first `}`; after `}:{` comes X as in (2). The subscriber-report keys
    /// (`NodeKeys`: `<prefix>:{nodes}:directory`, `…:subscribers:<hex id>`) read as topic `nodes` with a suffix
    /// no topic key has.
    ///
    /// On a single server (and behind Sentinel), where slots do not matter, topics that start with `}` keep the
    /// first form, which they have always had there: their data stays readable across upgrades. A data set
    /// moved from a single server to a cluster must rename those topics' keys (`docs/operations.md`).
    struct Keys: Equatable {
        /// Which form topics that start with `}` take.
        enum Layout: Sendable {
            /// One server, or a primary behind Sentinel: every topic has `<prefix>:{<topic>}:<suffix>`.
            case single
            /// A Redis Cluster: a topic that starts with `}` has `<prefix>:}{<tag>}:{<topic>}:<suffix>`.
            case cluster
        }

        /// The topic's history: `XADD` entries `e` (event type, empty for none) and `d` (data), id `<ms>-<ordinal>`.
        let stream: String
        /// The hash `epoch`, `n` (last ordinal), `ms` (last id's milliseconds).
        let meta: String
        /// The sharded pub/sub channel carrying live envelopes (`RedisBroker+Envelope.swift`).
        let channel: String
        private let base: String

        init(prefix: String, topic: Topic, layout: Layout) {
            if layout == .cluster, topic.name.utf8.first == Self.closingBrace {
                base = "\(prefix):}{\(Self.tag(of: topic))}:{\(topic.name)}:"
            } else {
                base = "\(prefix):{\(topic.name)}:"
            }
            stream = base + "stream"
            meta = base + "meta"
            channel = base + "live"
        }

        /// The string remembering a published event's `<epoch> <id>` under its idempotency key, for the
        /// idempotency window (`PX`). why the `}` become spaces: a key with `}:` in it would otherwise name
        /// another topic's key (`a` with key `x}:idem:y` would be `a}:idem:x` with key `y`).
        func idempotency(_ key: String) -> String {
            guard key.utf8.contains(Self.closingBrace) else { return base + "idem:" + key }
            return base + "idem:" + String(decoding: key.utf8.map { $0 == Self.closingBrace ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        }

        /// The topic of a live channel name (of either layout), or nil when the channel is not one of ours.
        static func topic(ofChannel channel: String, prefix: String) -> Topic? {
            // why: compared as bytes; String's prefix and suffix checks work on characters, which costs
            // on every live message.
            let (bytes, head, tail) = (channel.utf8, prefix.utf8, ":{".utf8)
            let suffix = "}:live".utf8
            guard bytes.count > head.count + tail.count + suffix.count, bytes.starts(with: head),
                  bytes.suffix(suffix.count).elementsEqual(suffix)
            else { return nil }
            let rest = bytes.dropFirst(head.count)
            if rest.starts(with: tail) {
                return try? Topic(String(Substring(rest.dropFirst(tail.count).dropLast(suffix.count))))
            }
            // The cluster form of a topic that starts with `}`: rebuilt from the topic found, so that a name
            // with a wrong tag is not taken for it.
            guard rest.starts(with: ":}{".utf8), let end = rest.dropFirst(3).firstIndex(of: closingBrace),
                  rest[end...].dropFirst().starts(with: tail),
                  let topic = try? Topic(String(Substring(rest[end...].dropFirst(1 + tail.count).dropLast(suffix.count)))),
                  Keys(prefix: prefix, topic: topic, layout: .cluster).channel == channel
            else { return nil }
            return topic
        }

        private static let closingBrace = UInt8(ascii: "}")

        /// The hash tag of a topic that starts with `}` on a cluster: `~` and the topic's bytes without `}`.
        /// why `~`: the tag is never empty (a topic may be `}` alone). `}` is one byte in UTF-8 and never
        /// part of another character's bytes, so dropping it leaves valid UTF-8.
        private static func tag(of topic: Topic) -> String {
            "~" + String(decoding: topic.name.utf8.filter { $0 != closingBrace }, as: UTF8.self)
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
