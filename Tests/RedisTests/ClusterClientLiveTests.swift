import Foundation
import Logging
import NIOCore
import Redis
import ServiceLifecycle
import TestSupport
import Testing

/// `RedisClusterClient` against a real Redis Cluster on loopback (three masters, one replica each):
/// routing by slot, MOVED, ASK during a slot migration, a master killed, and what startup refuses.
@Suite(
    "Redis Cluster client, live",
    .enabled(if: RedisTestEnvironment.isEnabled, "redis-server is not installed"),
    .serialized,
    .timeLimit(.minutes(3))
)
struct ClusterClientLiveTests {
    @Test("every command reaches the master of its slot, and a stale slot map is corrected by MOVED")
    func routingAndMoved() async throws {
        try await withCluster { cluster, client in
            let prefix = RedisTestEnvironment.uniquePrefix("cluster-route")
            let keys = (0..<60).map { "\(prefix){t\($0)}" }
            for key in keys {
                #expect(try await client.send([RedisCommand("SET", key, "v-\(key)")], slot: RedisHashSlot.of(key)) == [.simpleString("OK")])
            }
            let topology = try #require(client.topology)
            for key in keys {
                let owner = try #require(topology.shard(forSlot: RedisHashSlot.of(key))?.master)
                let direct = try await RedisClusterProcess.redisCLI(["-p", "\(owner.port)", "GET", key])
                #expect(direct.output.trimmingCharacters(in: .whitespacesAndNewlines) == "v-\(key)", "\(key) lives on its slot's master")
            }

            // A map that gives every slot to the first master: the others answer MOVED, and the client reads the map again.
            let first = try #require(topology.shards[0].master)
            client.apply(RedisClusterTopology(shards: [.init(master: first, slots: [0...16383])]))
            for key in keys {
                let reply = try await client.send([RedisCommand("GET", key)], slot: RedisHashSlot.of(key))
                #expect(reply == [.bulkString(ByteBuffer(string: "v-\(key)"))], "\(key)")
            }
            let restored = try #require(client.topology)
            let sameOwners = stride(from: 0, to: RedisHashSlot.count, by: 61).allSatisfy { restored.shard(forSlot: $0)?.master == topology.shard(forSlot: $0)?.master }
            #expect(sameOwners, "the MOVED replies brought the real map back")
        }
    }

    @Test("during a slot migration, a key already moved is read through ASK and the others from the old owner")
    func askDuringMigration() async throws {
        try await withCluster { cluster, client in
            let topology = try #require(client.topology)
            let prefix = RedisTestEnvironment.uniquePrefix("cluster-ask")
            let moved = "\(prefix){ask-tag}a"
            let stays = "\(prefix){ask-tag}b"
            let slot = RedisHashSlot.of(moved)
            let source = try #require(topology.shard(forSlot: slot)?.master)
            let target = try #require(topology.shards.compactMap(\.master).first { $0 != source })
            _ = try await client.send([RedisCommand("SET", moved, "one"), RedisCommand("SET", stays, "two")], slot: slot)

            let sourceID = try #require(source.id), targetID = try #require(target.id)
            try await cli(target, "CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", sourceID)
            try await cli(source, "CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", targetID)
            try await cli(source, "MIGRATE", "127.0.0.1", "\(target.port)", moved, "0", "5000")

            let replies = try await client.send([RedisCommand("GET", moved), RedisCommand("GET", stays)], slot: slot)
            #expect(replies == [.bulkString(ByteBuffer(string: "one")), .bulkString(ByteBuffer(string: "two"))])
            #expect(client.topology?.shard(forSlot: slot)?.master == source, "ASK does not change the map")

            // Finish the migration as redis-cli --cluster reshard does; the slot's next command follows MOVED.
            try await cli(source, "MIGRATE", "127.0.0.1", "\(target.port)", stays, "0", "5000")
            for node in topology.shards.compactMap(\.master) {
                try await cli(node, "CLUSTER", "SETSLOT", "\(slot)", "NODE", targetID)
            }
            let after = try await client.send([RedisCommand("GET", stays)], slot: slot)
            #expect(after == [.bulkString(ByteBuffer(string: "two"))])
            #expect(client.topology?.shard(forSlot: slot)?.master?.port == target.port)
        }
    }

    @Test("when a master is killed, its slots fail fast until its replica is promoted, then work again")
    func failover() async throws {
        try await withCluster { cluster, client in
            let topology = try #require(client.topology)
            let key = "\(RedisTestEnvironment.uniquePrefix("cluster-failover")){f}"
            let slot = RedisHashSlot.of(key)
            let master = try #require(topology.shard(forSlot: slot)?.master)
            _ = try await client.send([RedisCommand("SET", key, "kept")], slot: slot)
            _ = try await cli(master, "WAIT", "1", "2000")
            let victim = try #require(cluster.nodes.first { $0.port == master.port })
            victim.crash()

            let deadline = ContinuousClock.now + .seconds(30)
            var reply: [RESPValue]?
            var failedFast = 0
            while reply == nil, ContinuousClock.now < deadline {
                do {
                    reply = try await client.send([RedisCommand("GET", key)], slot: slot)
                } catch let error as RedisError where error.code == .connectionUnavailable || error.code == .connectionClosed || error.code == .timeout {
                    failedFast += 1
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(reply == [.bulkString(ByteBuffer(string: "kept"))], "the promoted replica serves the slot")
            #expect(failedFast > 0, "commands failed while the slot had no reachable master")
            let promoted = try #require(client.topology?.shard(forSlot: slot)?.master)
            #expect(promoted.port != master.port)
        }
    }

    @Test("discovery names what is wrong: a seed that is not a cluster node, a cluster with uncovered slots, no seed answering")
    func refusals() async throws {
        let plain = try await RedisServerProcess.start()
        defer { plain.stop() }
        await #expect { try await Self.client(seeds: [plain.port]).discoverTopology() } throws: { error in
            let error = error as? RedisError
            return error?.code == .invalidConfiguration && error?.message.contains("is not a Redis Cluster node") == true
        }

        let lonely = try await RedisServerProcess.start(extraArguments: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes-\(UInt64.random(in: 0...UInt64.max)).conf", "--dir", FileManager.default.temporaryDirectory.path])
        defer { lonely.stop() }
        _ = try await RedisClusterProcess.redisCLI(["-p", "\(lonely.port)", "CLUSTER", "ADDSLOTSRANGE", "0", "8000"])
        await #expect { try await Self.client(seeds: [lonely.port]).discoverTopology() } throws: { error in
            let error = error as? RedisError
            return error?.code == .invalidConfiguration && error?.message.contains("8383 hash slots without a node (8001-16383)") == true
        }

        let closedPort = try await LoopbackPort.free()
        await #expect { try await Self.client(seeds: [closedPort]).discoverTopology() } throws: { error in
            (error as? RedisError)?.code == .connectionUnavailable
        }
    }

    // MARK: Support

    private static func client(seeds: [Int]) throws -> RedisClusterClient {
        var node = RedisConfiguration(host: "127.0.0.1")
        node.connectTimeout = .seconds(2)
        node.commandTimeout = .seconds(3)
        node.reconnectBackoffMinimum = .milliseconds(20)
        node.reconnectBackoffMaximum = .milliseconds(200)
        var configuration = RedisClusterConfiguration(seeds: seeds.map { .init(host: "127.0.0.1", port: $0) }, node: node)
        configuration.degradedRefreshInterval = .milliseconds(200)
        return RedisClusterClient(configuration: configuration, eventLoopGroup: RedisTestEnvironment.eventLoopGroup, logger: RedisTestEnvironment.logger("cluster-client"))
    }

    /// Starts a cluster and a running client that has read its map, runs `body`, and stops both.
    private func withCluster(_ body: (RedisClusterProcess, RedisClusterClient) async throws -> Void) async throws {
        let cluster = try await RedisClusterProcess.start(masters: 3, replicasPerMaster: 1)
        defer { cluster.stop() }
        let client = try Self.client(seeds: [cluster.nodes[0].port])
        client.apply(try await client.discoverTopology())
        let group = ServiceGroup(configuration: .init(services: [.init(service: client)], logger: RedisTestEnvironment.logger("cluster-group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // why: 30 s, as a master's connections once took longer than 10 s to open on a loaded 2-core box.
            let deadline = ContinuousClock.now + .seconds(30)
            while !client.isConnected, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            do {
                try #require(client.isConnected, "every master's connections open within 30 s")
                try await body(cluster, client)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @discardableResult
    private func cli(_ node: RedisClusterTopology.Node, _ arguments: String...) async throws -> String {
        let outcome = try await RedisClusterProcess.redisCLI(["-p", "\(node.port)"] + arguments)
        #expect(outcome.state == .exited(0), "redis-cli \(arguments): \(outcome.output)")
        return outcome.output
    }
}
