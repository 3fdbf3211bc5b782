import HeraldClient
import NIOPosix
import Redis
import Synchronization
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
            let publisher = SteadyClusterPublisher(node: node, topic: topic)
            let publishing = Task { await publisher.run() }
            try await publisher.waitFor(count: 20)

            let keys = ["\(prefix):{\(topic)}:stream", "\(prefix):{\(topic)}:meta"]
            let slot = RedisHashSlot.of(keys[0])
            let shards = try await Self.shards(cluster)
            let source = try #require(shards.shard(forSlot: slot)?.master)
            let target = try #require(shards.shards.compactMap(\.master).first { $0 != source })
            try await cli(target, "CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", try #require(source.id))
            try await cli(source, "CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", try #require(target.id))
            try await cli(source, ["MIGRATE", "127.0.0.1", "\(target.port)", "", "0", "5000", "KEYS"] + keys)
            // The slot also holds the idempotency keys; move whatever is left, as redis-cli --cluster reshard does.
            while true {
                let left = try await RedisClusterProcess.redisCLI(["-p", "\(source.port)", "CLUSTER", "GETKEYSINSLOT", "\(slot)", "100"])
                let names = left.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
                guard !names.isEmpty else { break }
                try await cli(source, ["MIGRATE", "127.0.0.1", "\(target.port)", "", "0", "5000", "KEYS"] + names)
            }
            for master in shards.shards.compactMap(\.master) {
                try await cli(master, "CLUSTER", "SETSLOT", "\(slot)", "NODE", try #require(target.id))
            }
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
            let publisher = SteadyClusterPublisher(node: node, topic: topic)
            let publishing = Task { await publisher.run() }
            try await publisher.waitFor(count: 20)

            let key = "\(prefix):{\(topic)}:stream"
            let shards = try await Self.shards(cluster)
            let master = try #require(shards.shard(forSlot: RedisHashSlot.of(key))?.master)
            try #require(cluster.nodes.first { $0.port == master.port }).crash()
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

    /// The slot map as a master of the cluster sees it now.
    private static func shards(_ cluster: RedisClusterProcess) async throws -> RedisClusterTopology {
        let connection = try await RedisConnection.connect(
            configuration: RedisConfiguration(host: "127.0.0.1", port: cluster.nodes[0].port),
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(), logger: .init(label: "cluster-test")
        )
        let reply = try await connection.send(RedisCommand("CLUSTER", "SHARDS"))
        await connection.close()
        return try RedisClusterTopology.fromClusterShards(reply)
    }

    private func cli(_ node: RedisClusterTopology.Node, _ arguments: String...) async throws {
        try await cli(node, arguments)
    }

    private func cli(_ node: RedisClusterTopology.Node, _ arguments: [String]) async throws {
        let outcome = try await RedisClusterProcess.redisCLI(["-p", "\(node.port)"] + arguments)
        #expect(outcome.state == .exited(0) && !outcome.output.hasPrefix("ERR"), "redis-cli \(arguments): \(outcome.output)")
    }
}

/// Publishes `m0`, `m1`, … to one topic as fast as answers come, each with its data as idempotency key, keeping
/// what was acknowledged (in order) and counting refusals (503, retried after 50 ms with the same key).
final class SteadyClusterPublisher: Sendable {
    private let node: TestNode
    private let topic: String
    private let state = Mutex((acknowledged: [String](), refusals: 0, stopped: false))

    init(node: TestNode, topic: String) {
        self.node = node
        self.topic = topic
    }

    var acknowledged: [String] { state.withLock { $0.acknowledged } }
    var refusals: Int { state.withLock { $0.refusals } }
    func stop() { state.withLock { $0.stopped = true } }

    func run() async {
        var next = 0
        while !state.withLock({ $0.stopped }) {
            let data = "m\(next)"
            // why: the data is the idempotency key, so that a retry of a publish that was stored but not
            // acknowledged (503 while a shard fails over) stores it once, as the API asks of publishers.
            let response = try? await node.post(contentType: "application/json", body: #"{"topic":"\#(topic)","data":"\#(data)","idempotencyKey":"\#(data)"}"#)
            if response?.status == 200 {
                state.withLock { $0.acknowledged.append(data) }
                next += 1
            } else {
                // why: a refused publish (503 while a shard has no master) is retried with the same data, as a
                // publisher would; it was not acknowledged, so it is not expected until it is.
                state.withLock { $0.refusals += 1 }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Waits until `count` publishes were acknowledged.
    func waitFor(count: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while acknowledged.count < count {
            guard ContinuousClock.now < deadline else { throw PublishStalled(acknowledged: acknowledged.count, wanted: count) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct PublishStalled: Error { let acknowledged: Int; let wanted: Int }
}

/// What a reconnecting subscriber (the client library's, which resumes with `Last-Event-ID` as a browser
/// does) receives on one topic after `lastEventID`: its events' data, in order, and the resets it was told of.
final class ResumingCollector: Sendable {
    private final class Received: Sendable {
        let state = Mutex<(data: [String], resets: Int)>(([], 0))
    }

    private let received = Received()
    private let task: Task<Void, Never>

    init(port: Int, topic: String, after lastEventID: String) {
        let received = self.received
        task = Task {
            let subscription = Herald(server: "http://127.0.0.1:\(port)").subscribe(to: [topic], lastEventID: lastEventID)
            do {
                for try await item in subscription {
                    switch item {
                    case .event(let event): received.state.withLock { $0.data.append(event.data) }
                    case .reset: received.state.withLock { $0.resets += 1 }
                    case .disconnected: break
                    }
                }
            } catch {}
        }
    }

    var data: [String] { received.state.withLock { $0.data } }
    var resets: Int { received.state.withLock { $0.resets } }

    /// Waits until `count` events arrived (or `timeout` passed), then stops and returns what arrived.
    func collect(count: Int, timeout: Duration) async -> [String] {
        let deadline = ContinuousClock.now + timeout
        while data.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        return data
    }
}
