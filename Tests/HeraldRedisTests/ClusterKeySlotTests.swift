import HeraldCore
import Redis
import TestSupport
import Testing
@testable import HeraldRedis

/// How Herald's keys fall on Redis Cluster slots: every key of a topic on one slot (its scripts touch them
/// together), and topics spread evenly over the shards.
@Suite("Redis Cluster slots of Herald's keys")
struct ClusterKeySlotTests {
    /// The slots of a three-master cluster as `redis-cli --cluster create` assigns them.
    static let threeShards = RedisClusterTopology(shards: [
        .init(master: .init(host: "a", port: 1), slots: [0...5460]),
        .init(master: .init(host: "b", port: 1), slots: [5461...10922]),
        .init(master: .init(host: "c", port: 1), slots: [10923...16383]),
    ])

    @Test("10,000 topics of each usual shape spread over three shards within ±10 % of the mean")
    func balance() throws {
        var random = SplitMix64(seed: 12)
        let shapes: [(String, (Int) -> String)] = [
            ("orders/N", { "orders/\($0)" }),
            ("user:<hex>", { _ in "user:\(String(random.next(), radix: 16))" }),
            ("room-N.lobby", { "room-\($0).lobby" }),
            ("llm/<uuid-like>", { _ in "llm/\(String(random.next() >> 1, radix: 36))-\(String(random.next() >> 1, radix: 36))" }),
        ]
        for (shape, name) in shapes {
            var perShard = [0, 0, 0]
            for index in 0..<10_000 {
                let keys = RedisBroker.Keys(prefix: "herald", topic: try Topic(name(index)), layout: .cluster)
                perShard[try #require(Self.threeShards.shardIndex(forSlot: RedisHashSlot.of(keys.stream)))] += 1
            }
            let mean = 10_000.0 / 3
            #expect(perShard.allSatisfy { abs(Double($0) - mean) <= mean * 0.1 }, "\(shape): \(perShard)")
        }
    }

    /// Topic names that try to break the layout: `}` first (alone, repeated, before a combining mark), names
    /// that spell another topic's cluster form (`~}x`, `}{~x}:{}x`), and names with `}:` and suffixes in them.
    static let adversarialTopics = [
        "orders/42", "a}b", "{x}", "zürich/€/{1}", "{}", "x{", String(repeating: "é", count: 128),
        "}", "}}", "}}}", "}x", "}x}", "}}x", "~}x", "~x", "}~x", "}\u{301}x", "}{~x}:{}x", "{~x}:{}x", "}{", "}:stream",
        "a", "a}:idem:x", "a}:idem", "a}:stream", "a}:meta}:live", "nodes", "nodes}:directory", "}nodes",
        String(repeating: "}", count: 256), "}" + String(repeating: "x", count: 255),
    ]
    static let adversarialIdempotencyKeys = ["k", "x}:idem:y", "y", "}", "}}", "x}:stream", ":stream", "idem:y"]

    @Test("every key and the live channel of a topic share one slot, on a cluster also for topics that start with }")
    func oneSlotPerTopic() throws {
        for name in Self.adversarialTopics {
            let keys = RedisBroker.Keys(prefix: "herald", topic: try Topic(name), layout: .cluster)
            let names = [keys.stream, keys.meta, keys.channel] + Self.adversarialIdempotencyKeys.map(keys.idempotency)
            #expect(Set(names.map { RedisHashSlot.of($0) }).count == 1, "\(name)")
        }
    }

    @Test("no two topics, or a topic and the subscriber reports, share a key or a channel, in either layout")
    func injective() throws {
        let nodeKeys = RedisBroker.NodeKeys(prefix: "herald")
        for key in Self.adversarialIdempotencyKeys { try IdempotencyKey.validate(key) }
        for layout in [RedisBroker.Keys.Layout.single, .cluster] {
            var owners: [String: String] = [nodeKeys.directory: "reports", nodeKeys.report(of: "0123456789abcdef"): "reports"]
            var channels: [String: String] = [:]
            for name in Self.adversarialTopics {
                let keys = RedisBroker.Keys(prefix: "herald", topic: try Topic(name), layout: layout)
                let names = [keys.stream, keys.meta] + Self.adversarialIdempotencyKeys.map(keys.idempotency)
                #expect(Set(names).count == names.count, "\(name): its own keys differ")
                for key in names {
                    if let owner = owners.updateValue(name, forKey: key) { Issue.record("\(layout): \(key) is a key of \(owner) and \(name)") }
                }
                if let owner = channels.updateValue(name, forKey: keys.channel) { Issue.record("\(layout): channel \(keys.channel) of \(owner) and \(name)") }
                #expect(RedisBroker.Keys.topic(ofChannel: keys.channel, prefix: "herald")?.name == name, "\(layout): \(keys.channel)")
            }
        }
    }

    @Test("on a cluster only topics that start with } change layout; on a single server none does")
    func layouts() throws {
        let plain = RedisBroker.Keys(prefix: "herald", topic: try Topic("a}b"), layout: .cluster)
        #expect(plain.stream == "herald:{a}b}:stream")
        #expect(plain.idempotency("k-1") == "herald:{a}b}:idem:k-1")
        #expect(plain.idempotency("x}:y") == "herald:{a}b}:idem:x :y")
        let escaped = RedisBroker.Keys(prefix: "herald", topic: try Topic("}x}y"), layout: .cluster)
        #expect(escaped.stream == "herald:}{~xy}:{}x}y}:stream")
        #expect(escaped.channel == "herald:}{~xy}:{}x}y}:live")
        #expect(RedisBroker.Keys(prefix: "herald", topic: try Topic("}"), layout: .cluster).meta == "herald:}{~}:{}}:meta")
        #expect(RedisBroker.Keys(prefix: "herald", topic: try Topic("}x"), layout: .single).stream == "herald:{}x}:stream")
        for foreign in ["herald:}{~y}:{}x}:live", "herald:}{~x}:{x}:live", "herald:}{~x}{}x}:live", "herald:}{~x", "herald:}{}:{}}:live"] {
            #expect(RedisBroker.Keys.topic(ofChannel: foreign, prefix: "herald") == nil, "\(foreign)")
        }
    }
}
