import Redis
import TestSupport
import Testing

/// The slot map and hash slots against a real Redis Cluster (three masters, one replica each) on loopback.
@Suite(
    "Redis Cluster topology, live",
    .enabled(if: RedisTestEnvironment.isEnabled, "redis-server is not installed"),
    .timeLimit(.minutes(2))
)
struct ClusterTopologyLiveTests {
    @Test("CLUSTER SHARDS and CLUSTER SLOTS give the same slot map, covering every slot with three masters and their replicas; hash slots match CLUSTER KEYSLOT")
    func liveCluster() async throws {
        let cluster = try await RedisClusterProcess.start(masters: 3, replicasPerMaster: 1)
        defer { cluster.stop() }
        let connection = try await RedisConnection.connect(
            configuration: RedisTestEnvironment.configuration(for: cluster.nodes[0]),
            eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
            logger: RedisTestEnvironment.logger("cluster")
        )
        defer { Task { await connection.close() } }

        let shards = try RedisClusterTopology.fromClusterShards(try await connection.send(RedisCommand("CLUSTER", "SHARDS")))
        let slots = try RedisClusterTopology.fromClusterSlots(try await connection.send(RedisCommand("CLUSTER", "SLOTS")))
        #expect(shards.uncoveredSlots.isEmpty && slots.uncoveredSlots.isEmpty)
        #expect(shards.shards.count == 3)
        #expect(shards.shards.allSatisfy { $0.master != nil && $0.replicas.count == 1 })
        for slot in stride(from: 0, to: RedisHashSlot.count, by: 97) {
            #expect(shards.shard(forSlot: slot)?.master?.port == slots.shard(forSlot: slot)?.master?.port, "slot \(slot)")
        }

        var random = SplitMix64(seed: 19)
        var keys = ["foo", "herald:{orders/42}:stream", "{a}b", "x{}y", "{{tag}}", "é{ü}"]
        for _ in 0..<200 {
            let length = Int(random.next() % 24)
            keys.append(String((0..<length).map { _ in "ab{}c:/-9".randomElement(using: &random)! }))
        }
        let commands = keys.map { RedisCommand("CLUSTER", "KEYSLOT", $0) }
        let answers = try await connection.send(commands)
        for (key, answer) in zip(keys, answers) {
            #expect(answer.int.map(Int.init) == RedisHashSlot.of(key), "\(key)")
        }
    }
}
