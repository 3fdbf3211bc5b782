import Foundation
import NIOPosix
import Redis

/// The slot map of a test cluster, and the operator's moves on it: migrating a slot, finding a shard's master
/// and replicas, waiting for a failover.
extension RedisClusterProcess {
    package struct SlotError: Error, CustomStringConvertible {
        package var description: String
    }

    /// The slot map as the first node that answers sees it now (`CLUSTER SHARDS`; only online nodes).
    package func topology() async throws -> RedisClusterTopology {
        var failures: [String] = []
        for node in nodes {
            do {
                let connection = try await RedisConnection.connect(
                    configuration: RedisConfiguration(host: "127.0.0.1", port: node.port),
                    eventLoop: MultiThreadedEventLoopGroup.singleton.next(), logger: .init(label: "redis-cluster-process")
                )
                let reply: RESPValue
                do {
                    reply = try await connection.send(RedisCommand("CLUSTER", "SHARDS"))
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
                return try RedisClusterTopology.fromClusterShards(reply)
            } catch {
                failures.append("\(node.port): \(error)")
            }
        }
        throw SlotError(description: "no cluster node answered CLUSTER SHARDS: \(failures.joined(separator: "; "))")
    }

    /// The process of a node of the map.
    package func process(of node: RedisClusterTopology.Node) throws -> RedisServerProcess {
        guard let process = nodes.first(where: { $0.port == node.port }) else {
            throw SlotError(description: "\(node) is not a node of this cluster")
        }
        return process
    }

    /// The master serving `slot` now, as the map says.
    package func master(ofSlot slot: Int) async throws -> RedisClusterTopology.Node {
        guard let master = try await topology().shard(forSlot: slot)?.master else {
            throw SlotError(description: "no online master serves slot \(slot)")
        }
        return master
    }

    /// Waits (bounded) until a master other than `previous` serves `slot` (its replica was promoted), and
    /// returns it.
    package func waitForNewMaster(ofSlot slot: Int, replacing previous: RedisClusterTopology.Node, timeout: Duration = .seconds(20)) async throws -> RedisClusterTopology.Node {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let master = try? await topology().shard(forSlot: slot)?.master, master.port != previous.port { return master }
            // why: polling the cluster's own view; a failover takes about two node timeouts (1 s each here).
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SlotError(description: "no replica took over slot \(slot) from \(previous) within \(timeout)")
    }

    /// Moves `slot` from its master to `target` as `redis-cli --cluster reshard` does: `SETSLOT IMPORTING` on
    /// the target, `SETSLOT MIGRATING` on the source, `MIGRATE` of `firstKeys` (if any), then `whileMigrating`,
    /// then `MIGRATE` of every key left in the slot (`GETKEYSINSLOT`, in batches, until none is left), then
    /// `SETSLOT NODE` on every master. Clients meanwhile get `ASK` for keys already moved and `TRYAGAIN` for
    /// commands whose keys are split. Returns how many keys were moved.
    @discardableResult
    package func migrate(
        slot: Int, to target: RedisClusterTopology.Node, firstKeys: [String] = [], whileMigrating: () async throws -> Void = {}
    ) async throws -> Int {
        let topology = try await topology()
        guard let source = topology.shard(forSlot: slot)?.master, let sourceID = source.id, let targetID = target.id else {
            throw SlotError(description: "slot \(slot) has no online master, or a node has no id: \(topology)")
        }
        guard source.port != target.port else { throw SlotError(description: "slot \(slot) is already on \(target)") }
        try await command(target, ["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", sourceID])
        try await command(source, ["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", targetID])
        let migrate = ["MIGRATE", "127.0.0.1", "\(target.port)", "", "0", "5000", "KEYS"]
        var moved = 0
        if !firstKeys.isEmpty {
            try await command(source, migrate + firstKeys)
            moved += firstKeys.count
        }
        try await whileMigrating()
        while true {
            let left = try await command(source, ["CLUSTER", "GETKEYSINSLOT", "\(slot)", "100"])
                .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            guard !left.isEmpty else { break }
            try await command(source, migrate + left)
            moved += left.count
        }
        for master in topology.shards.compactMap(\.master) {
            try await command(master, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", targetID])
        }
        return moved
    }

    /// Runs one command with `redis-cli` on `node`; throws unless it exits 0 without an error reply.
    @discardableResult
    package func command(_ node: RedisClusterTopology.Node, _ arguments: [String]) async throws -> String {
        let outcome = try await Self.redisCLI(["-p", "\(node.port)"] + arguments)
        guard outcome.state == .exited(0), !outcome.output.hasPrefix("ERR"), !outcome.output.hasPrefix("IOERR") else {
            throw SlotError(description: "redis-cli on \(node) \(arguments.prefix(8)): \(outcome.output.prefix(300))")
        }
        return outcome.output
    }
}
