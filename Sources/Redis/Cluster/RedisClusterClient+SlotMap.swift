import Logging
import NIOCore

extension RedisClusterClient {

    /// Reads the slot map from the known nodes (the seeds at first), without applying it. Throws
    /// ``RedisError/Code/invalidConfiguration`` when a seed answers but is not a cluster node, or the cluster
    /// leaves slots uncovered, and ``RedisError/Code/connectionUnavailable`` when no node answers.
    public func discoverTopology() async throws -> RedisClusterTopology {
        try configuration.validate()
        var failures: [String] = []
        for address in candidateAddresses() {
            do {
                let connection = try await RedisConnection.connect(
                    configuration: configuration.configuration(of: address), eventLoop: eventLoopGroup.any(), logger: logger
                )
                let topology: RedisClusterTopology
                do {
                    topology = try await Self.readTopology(from: connection, address: address)
                    await connection.close()
                } catch {
                    await connection.close()
                    throw error
                }
                let uncovered = topology.uncoveredSlots
                guard uncovered.isEmpty else {
                    let ranges = uncovered.prefix(3).map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", ")
                    throw RedisError(.invalidConfiguration, message: "the Redis Cluster of \(address) leaves \(uncovered.reduce(0) { $0 + $1.count }) hash slots without a node (\(ranges)); assign every slot (redis-cli --cluster fix)")
                }
                return topology
            } catch let error as RedisError where error.code == .invalidConfiguration {
                throw error
            } catch {
                failures.append("\(address): \((error as? RedisError)?.message ?? "\(error)")")
            }
        }
        throw RedisError(.connectionUnavailable, message: "no Redis Cluster node answered: \(failures.joined(separator: "; "))")
    }

    private static func readTopology(from connection: RedisConnection, address: RedisClusterTopology.Node) async throws -> RedisClusterTopology {
        let shards = try await connection.send(RedisCommand("CLUSTER", "SHARDS"))
        guard case .error(let message) = shards else { return try RedisClusterTopology.fromClusterShards(shards) }
        if message.contains("cluster support disabled") {
            throw RedisError(.invalidConfiguration, message: "\(address) is not a Redis Cluster node (cluster support is disabled there); give cluster nodes, or use a standalone Redis URL")
        }
        // why: CLUSTER SHARDS exists from Redis 7.0; older servers answer an unknown subcommand.
        let slots = try await connection.send(RedisCommand("CLUSTER", "SLOTS"))
        if case .error(let message) = slots {
            throw RedisError(.server, message: "\(address) answered CLUSTER SLOTS with: \(message)")
        }
        return try RedisClusterTopology.fromClusterSlots(slots)
    }

    /// The masters and replicas of the map in use, then the seeds.
    private func candidateAddresses() -> [RedisClusterTopology.Node] {
        let known = state.withLock { state in
            state.topology?.shards.flatMap { [$0.master].compactMap { $0 } + $0.replicas } ?? []
        }
        let seeds = configuration.seeds.map { RedisClusterTopology.Node(host: $0.host, port: $0.port) }
        var seen = Set<RedisClusterTopology.Node>()
        return (known.map(\.address) + seeds).filter { seen.insert($0).inserted }
    }

    /// Reads the slot map again and starts (or stops) the masters' connections to match; concurrent callers
    /// share one read. A failed read keeps the map in use.
    public func refreshTopology() async {
        let promise = eventLoopGroup.any().makePromise(of: Void.self)
        let running: EventLoopFuture<Void>? = state.withLock { state in
            if let running = state.refresh { return running }
            state.refresh = promise.futureResult
            return nil
        }
        if let running {
            promise.succeed()
            try? await running.get()
            return
        }
        do {
            apply(try await discoverTopology())
        } catch {
            logger.warning("cannot read the redis cluster slot map", metadata: [RedisMetadataKey.error: "\(error)"])
        }
        state.withLock { $0.refresh = nil }
        promise.succeed()
    }

    /// Calls `observer` with every slot map that differs from the one before (another master for some slot,
    /// or a replica gone or come: `hasSameShards`), not with the current one.
    public func observeTopology(_ observer: @escaping @Sendable (RedisClusterTopology) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    /// Uses `topology`: starts connections to new masters, stops those to nodes that are no longer masters,
    /// and tells the observers when it changed (logging it when the masters did).
    public func apply(_ topology: RedisClusterTopology) {
        let (stopped, observers): ([NodeEntry], [@Sendable (RedisClusterTopology) -> Void]) = state.withLock { state in
            let previous = state.topology
            state.topology = topology
            let masters = Set(topology.shards.compactMap(\.master?.address))
            for master in masters { _ = startClientLocked(master, in: &state) }
            let gone = state.masters.keys.filter { !masters.contains($0) }
            let changed = previous.map { !$0.hasSameShards(as: topology) } ?? true
            if previous.map({ !$0.hasSameOwners(as: topology) }) ?? true {
                logger.info("redis cluster slot map", metadata: [
                    RedisMetadataKey.server: "\(masters.map(\.description).sorted().joined(separator: ","))",
                ])
            }
            return (gone.compactMap { state.masters.removeValue(forKey: $0) }, changed ? state.observers : [])
        }
        for entry in stopped { entry.stop.succeed() }
        for observer in observers { observer(topology) }
    }
}
