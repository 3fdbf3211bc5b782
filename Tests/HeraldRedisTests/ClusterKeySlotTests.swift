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
                let keys = RedisBroker.Keys(prefix: "herald", topic: try Topic(name(index)))
                perShard[try #require(Self.threeShards.shardIndex(forSlot: RedisHashSlot.of(keys.stream)))] += 1
            }
            let mean = 10_000.0 / 3
            #expect(perShard.allSatisfy { abs(Double($0) - mean) <= mean * 0.1 }, "\(shape): \(perShard)")
        }
    }

    @Test("a topic's stream, meta, live channel and idempotency keys share one slot")
    func oneSlotPerTopic() throws {
        for name in ["orders/42", "a}b", "{x}", "zürich/€/{1}", "{}", "x{", String(repeating: "é", count: 128)] {
            let keys = RedisBroker.Keys(prefix: "herald", topic: try Topic(name))
            let slots = Set([keys.stream, keys.meta, keys.channel, keys.idempotency("k")].map { RedisHashSlot.of($0) })
            #expect(slots.count == 1, "\(name)")
        }
    }

    @Test("a topic that starts with } gets an empty hash tag, so its keys fall on different slots (known: issue 12)")
    func closingBraceFirst() throws {
        let keys = RedisBroker.Keys(prefix: "herald", topic: try Topic("}x"))
        withKnownIssue("herald:{}x}:… has an empty hash tag; the key layout must change for such topics before cluster mode") {
            #expect(RedisHashSlot.of(keys.stream) == RedisHashSlot.of(keys.meta))
        }
    }
}
