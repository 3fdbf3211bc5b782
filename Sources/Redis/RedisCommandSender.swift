import NIOCore
import ServiceLifecycle

/// Where a caller's commands go: one server (``RedisClient``) or a Redis Cluster (``RedisClusterClient``), which
/// sends each pipeline to the master of its hash slot. A caller gives every command's slot
/// (``RedisHashSlot``); a single server ignores them.
public protocol RedisCommandSender: Service, Sendable {
    /// Whether commands are routed by slot (a cluster): pipelines are then split by slot.
    var routesBySlot: Bool { get }
    /// Whether commands can be sent now (a connection is open; in a cluster, to every master).
    var isConnected: Bool { get }
    /// Sends `commands`, all for `slot`, as one pipeline; replies in order, error replies returned.
    func send(_ commands: [RedisCommand], slot: Int) async throws -> [RESPValue]
    /// `send(_:slot:)` for callers on an event loop; the replies come back on `eventLoop`.
    func send(_ commands: [RedisCommand], slot: Int, preferring eventLoop: any EventLoop) -> EventLoopFuture<[RESPValue]>
    /// Sends `commands`, command *i* for slot `slots[i]`: one pipeline per destination, all at once, replies
    /// in the commands' order; commands of one slot keep their order.
    func send(_ commands: [RedisCommand], slots: [Int]) async throws -> [RESPValue]
}

extension RedisCommandSender {
    /// One pipeline in all, for a sender that does not route by slot.
    public func send(_ commands: [RedisCommand], slots: [Int]) async throws -> [RESPValue] {
        precondition(commands.count == slots.count, "one slot per command")
        return try await send(commands, slot: slots.first ?? 0)
    }

    /// Sends the commands at `groups` (indices into `commands`, each group with the slot it is routed by) as
    /// one pipeline per group, all at once; the replies in the commands' order.
    func send(_ commands: [RedisCommand], groups: [(slot: Int, indices: [Int])]) async throws -> [RESPValue] {
        if groups.count == 1, let only = groups.first { return try await send(only.indices.map { commands[$0] }, slot: only.slot) }
        return try await withThrowingTaskGroup(of: ([Int], [RESPValue]).self) { group in
            for (slot, indices) in groups {
                group.addTask { (indices, try await self.send(indices.map { commands[$0] }, slot: slot)) }
            }
            var replies = [RESPValue](repeating: .null, count: commands.count)
            for try await (indices, answers) in group {
                for (index, answer) in zip(indices, answers) { replies[index] = answer }
            }
            return replies
        }
    }
}

extension RedisClient: RedisCommandSender {
    public var routesBySlot: Bool { false }

    public func send(_ commands: [RedisCommand], slot: Int) async throws -> [RESPValue] {
        try await send(commands)
    }

    public func send(_ commands: [RedisCommand], slot: Int, preferring eventLoop: any EventLoop) -> EventLoopFuture<[RESPValue]> {
        send(commands, preferring: eventLoop)
    }
}

extension RedisClusterClient: RedisCommandSender {
    public var routesBySlot: Bool { true }

    /// One pipeline per master (by the slot map in use), all at once. A command whose slot has no master is
    /// grouped by its own slot, and fails as `send(_:slot:)` does.
    public func send(_ commands: [RedisCommand], slots: [Int]) async throws -> [RESPValue] {
        precondition(commands.count == slots.count, "one slot per command")
        let topology = self.topology
        var groups: [Int: (slot: Int, indices: [Int])] = [:]
        for (index, slot) in slots.enumerated() {
            // why: keyed by shard, so that a batch over many topics makes one pipeline per master, not per topic.
            let key = topology?.shardIndex(forSlot: slot) ?? (RedisHashSlot.count + slot)
            groups[key, default: (slot, [])].indices.append(index)
        }
        return try await send(commands, groups: Array(groups.values))
    }
}
