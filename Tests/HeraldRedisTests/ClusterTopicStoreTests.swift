import HeraldCore
import Logging
import NIOCore
import NIOPosix
import Redis
import ServiceLifecycle
import TestSupport
import Testing
@testable import HeraldRedis

/// The topic store (publish script, history, retained summary) on a real Redis Cluster: a batch over topics on
/// every shard goes out per master and is answered in the request's order; scripts are loaded once per master.
@Suite(
    "Topic store on a Redis Cluster, live",
    .enabled(if: RedisServerProcess.isAvailable || RedisServerProcess.isRequired),
    .timeLimit(.minutes(2))
)
struct ClusterTopicStoreTests {
    @Test("a batch over topics on every shard is stored per topic in order, answered in the request's order, and read back; a master that lost its scripts gets them again, once")
    func batchAcrossShards() async throws {
        try await withStore { cluster, client, store in
            let topics = try (0..<12).map { try Topic("store/\($0)") }
            let slots = topics.map { RedisHashSlot.of(store.keys(of: $0).stream) }
            let shards = Set(slots.compactMap { client.topology?.shardIndex(forSlot: $0) })
            #expect(shards.count == 3, "the topics fall on every shard")
            #expect(Set(slots).count > shards.count, "several slots per shard")
            // Interleaved, so that consecutive runs go to different masters.
            let events = (0..<48).map { NewEvent(topic: topics[$0 % topics.count], type: nil, data: ByteBuffer(string: "e\($0)"), idempotencyKey: nil) }
            let positions = try await store.publish(events)
            #expect(positions.count == events.count)
            for topic in topics {
                let mine = events.indices.filter { events[$0].topic == topic }
                #expect(mine.map { positions[$0].id.ordinal } == [1, 2, 3, 4], "\(topic): ordinals in request order")
                let history = try await store.history(of: topic, after: .zero, limit: 10)
                #expect(history.events.map { String(buffer: $0.data) } == mine.map { "e\($0)" })
            }
            #expect(try await store.retainedHistory(of: topics[0]).count == 4)

            // A master that restarted without its scripts answers NOSCRIPT; the store loads them there, once per
            // master (not once per slot), and goes on.
            for node in cluster.nodes {
                _ = try await RedisClusterProcess.redisCLI(["-p", "\(node.port)", "SCRIPT", "FLUSH"])
                _ = try await RedisClusterProcess.redisCLI(["-p", "\(node.port)", "CONFIG", "RESETSTAT"])
            }
            let again = try await store.publish(topics.map { NewEvent(topic: $0, type: nil, data: ByteBuffer(string: "again"), idempotencyKey: nil) })
            #expect(again.map(\.id.ordinal) == Array(repeating: 5, count: topics.count))
            for node in cluster.nodes {
                let stats = try await RedisClusterProcess.redisCLI(["-p", "\(node.port)", "INFO", "commandstats"]).output
                #expect(stats.contains("cmdstat_script|load:calls=1,"), "node \(node.port): one SCRIPT LOAD\n\(stats)")
            }
        }
    }

    @Test("topics that start with } are stored and read back, and Redis puts every key and the channel of each in one slot")
    func closingBraceFirst() async throws {
        try await withStore { cluster, _, store in
            let names = ["}", "}x", "}}", "}x}y", "}{~x}:{}x", "~}x", "}\u{301}x"]
            let topics = try names.map { try Topic($0) }
            let positions = try await store.publish(topics.map { NewEvent(topic: $0, type: nil, data: ByteBuffer(string: $0.name), idempotencyKey: "k}1") })
            #expect(positions.map(\.id.ordinal) == Array(repeating: 1, count: topics.count))
            let repeated = try await store.publish(topics.map { NewEvent(topic: $0, type: nil, data: ByteBuffer(string: "again"), idempotencyKey: "k}1") })
            #expect(repeated == positions, "the idempotency keys hold")
            for topic in topics {
                let history = try await store.history(of: topic, after: .zero, limit: 10)
                #expect(history.events.map { String(buffer: $0.data) } == [topic.name])
                let keys = store.keys(of: topic)
                var slots: [Int] = []
                for name in [keys.stream, keys.meta, keys.channel, keys.idempotency("k}1")] {
                    let reply = try await RedisClusterProcess.redisCLI(["-p", "\(cluster.nodes[0].port)", "CLUSTER", "KEYSLOT", name])
                    slots.append(try #require(Int(reply.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(reply.output)"))
                }
                #expect(Set(slots) == [RedisHashSlot.of(keys.stream)], "\(topic): \(slots)")
            }
        }
    }

    /// Runs `body` with a three-master cluster (no replicas), a connected cluster client and a store on it
    /// with a key prefix of its own.
    private func withStore(_ body: (RedisClusterProcess, RedisClusterClient, RedisTopicStore) async throws -> Void) async throws {
        let cluster = try await RedisClusterProcess.start(masters: 3, replicasPerMaster: 0)
        defer { cluster.stop() }
        var logger = Logger(label: "cluster-store")
        logger.logLevel = .critical
        var node = RedisConfiguration(host: "127.0.0.1")
        node.reconnectBackoffMaximum = .milliseconds(200)
        let client = RedisClusterClient(
            configuration: RedisClusterConfiguration(seeds: [.init(host: "127.0.0.1", port: cluster.nodes[0].port)], node: node),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger
        )
        client.apply(try await client.discoverTopology())
        var configuration = RedisBrokerConfiguration(connection: node, retention: RetentionPolicy())
        configuration.keyPrefix = "cluster-\(UInt32.random(in: 0...UInt32.max))"
        let store = RedisTopicStore(configuration: configuration, client: client)
        let group = ServiceGroup(configuration: .init(services: [.init(service: client)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }
            // why: a send never waits for a connection (it fails at once, as a publisher's 503 would); on a loaded
            // 2-core box a master's connections once took longer than 10 s to open.
            let deadline = ContinuousClock.now + .seconds(30)
            while !client.isConnected, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            try #require(client.isConnected, "every master's connections open within 30 s")
            try await body(cluster, client, store)
        }
    }
}
