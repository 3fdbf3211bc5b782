import HeraldClient
import Redis
import TestSupport
import Testing

/// A Herald node on a real Redis Cluster (three masters, one replica each): topics on every shard, resume,
/// a slot migrated under a live stream, and a master killed under one. Every acknowledged event arrives
/// once, in order.
@Suite(
    "Herald on a Redis Cluster",
    .enabled(if: RedisServerProcess.isAvailable || RedisServerProcess.isRequired),
    .serialized,
    .timeLimit(.minutes(3))
)
struct ClusterBehaviourTests {
    @Test("a stream over topics on every shard gets each topic's events in order, and resumes exactly from its last id")
    func topicsOnEveryShard() async throws {
        try await withClusterNode { _, node, _ in
            let topics = (0..<6).map { "shard/\($0)" }
            let stream = try await node.stream(topics)
            for round in 0..<3 {
                for topic in topics { _ = try await node.publish(topic, "\(topic)#\(round)") }
            }
            var seen: [String] = []
            while seen.count < 18, let event = try await stream.nextEvent(timeout: .seconds(5)) { seen.append(event.data) }
            for topic in topics {
                #expect(seen.filter { $0.hasPrefix("\(topic)#") } == (0..<3).map { "\(topic)#\($0)" })
            }
            let lastID = try #require(stream.lastEventID)
            await stream.close()
            for topic in topics { _ = try await node.publish(topic, "\(topic)#late") }
            let resumed = try await node.stream(topics, lastEventID: lastID)
            var late: [String] = []
            while late.count < 6, let event = try await resumed.nextEvent(timeout: .seconds(5)) { late.append(event.data) }
            #expect(Set(late) == Set(topics.map { "\($0)#late" }) && late.count == 6, "\(late)")
            await resumed.close()
        }
    }

    @Test("a slot migrated while its topic is published to: the stream gets every acknowledged event once, in order")
    func slotMigration() async throws {
        try await withClusterNode { cluster, node, prefix in
            let topic = "migrating/topic"
            let collector = ResumingCollector(port: node.port, topic: topic, after: try await node.publish(topic, "start"))
            let publisher = RetryingPublisher(node: node, topic: topic)
            let publishing = Task { await publisher.run() }
            try await publisher.waitFor(count: 20)

            let keys = ["\(prefix):{\(topic)}:stream", "\(prefix):{\(topic)}:meta"]
            let slot = RedisHashSlot.of(keys[0])
            let source = try await cluster.master(ofSlot: slot)
            let masters = try await cluster.topology().shards.compactMap(\.master)
            let target = try #require(masters.first { $0.port != source.port })
            // The slot also holds the idempotency keys; migrate moves whatever is left, as redis-cli --cluster reshard does.
            try await cluster.migrate(slot: slot, to: target, firstKeys: keys)
            let before = publisher.acknowledged.count
            try await publisher.waitFor(count: before + 20)
            publisher.stop()
            await publishing.value

            let expected = publisher.acknowledged
            let received = await collector.collect(count: expected.count, timeout: .seconds(30))
            #expect(received == expected, "\(received.count) received of \(expected.count) acknowledged")
        }
    }

    @Test("a master killed under a live stream: publishes fail with 503 until its replica is promoted, and the stream gets every acknowledged event once, in order")
    func masterKilled() async throws {
        try await withClusterNode { cluster, node, prefix in
            let topic = "failover/topic"
            let collector = ResumingCollector(port: node.port, topic: topic, after: try await node.publish(topic, "start"))
            let publisher = RetryingPublisher(node: node, topic: topic)
            let publishing = Task { await publisher.run() }
            try await publisher.waitFor(count: 20)

            let master = try await cluster.master(ofSlot: RedisHashSlot.of("\(prefix):{\(topic)}:stream"))
            try cluster.process(of: master).crash()
            let before = publisher.acknowledged.count
            try await publisher.waitFor(count: before + 20, timeout: .seconds(60))
            publisher.stop()
            await publishing.value
            #expect(publisher.refusals > 0, "publishes were refused while the shard had no master")

            let expected = publisher.acknowledged
            let received = await collector.collect(count: expected.count, timeout: .seconds(30))
            // why: an acknowledgement the dead master had not replicated yet is lost with it (asynchronous
            // replication; `--publish-replicas` is the remedy, issue 12). What arrives must still be in order,
            // without duplicates, and a prefix-closed subset of what was acknowledged.
            #expect(Set(received).count == received.count, "no duplicates")
            #expect(received == expected.filter { Set(received).contains($0) }, "in order")
            #expect(received.count >= expected.count - 5, "\(received.count) received of \(expected.count) acknowledged")
        }
    }

    // MARK: Support

    private func withClusterNode(_ body: (RedisClusterProcess, TestNode, String) async throws -> Void) async throws {
        let cluster = try await RedisClusterProcess.start(masters: 3, replicasPerMaster: 1)
        defer { cluster.stop() }
        let prefix = "cluster\(UInt32.random(in: 0...UInt32.max))"
        let node = try await TestNode.start(.redisCluster(seeds: cluster.seeds, prefix: prefix))
        do {
            try await body(cluster, node, prefix)
        } catch {
            try? await node.stop()
            throw error
        }
        try await node.stop()
    }
}
