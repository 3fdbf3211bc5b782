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
    /// `send(_:slots:)` with `trailer` after the commands of every pipeline, including those that follow a
    /// redirection: for `WAIT`, which confirms the writes of its own connection. Returns the replies and the
    /// trailer's replies.
    func send(_ commands: [RedisCommand], slots: [Int], trailer: RedisCommand) async throws -> (replies: [RESPValue], trailers: [RESPValue])
    /// One of `slots` for each server they are routed to (by the slot map in use), so that a command sent
    /// with each reaches every one of those servers once: for work per server, such as loading a script.
    func destinationSlots(_ slots: [Int]) -> [Int]
}

extension RedisCommandSender {
    /// One pipeline in all, for a sender that does not route by slot.
    public func send(_ commands: [RedisCommand], slots: [Int]) async throws -> [RESPValue] {
        precondition(commands.count == slots.count, "one slot per command")
        return try await send(commands, slot: slots.first ?? 0)
    }

    /// The first slot, for a sender that does not route by slot: it has one server.
    public func destinationSlots(_ slots: [Int]) -> [Int] {
        slots.first.map { [$0] } ?? []
    }

    /// One pipeline in all, the trailer last, for a sender that does not route by slot.
    public func send(_ commands: [RedisCommand], slots: [Int], trailer: RedisCommand) async throws -> (replies: [RESPValue], trailers: [RESPValue]) {
        precondition(commands.count == slots.count, "one slot per command")
        let answers = try await send(commands + [trailer], slot: slots.first ?? 0)
        return (Array(answers.dropLast()), [answers[answers.count - 1]])
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

    /// One pipeline per master (by the slot map in use), all at once.
    public func send(_ commands: [RedisCommand], slots: [Int]) async throws -> [RESPValue] {
        precondition(commands.count == slots.count, "one slot per command")
        return try await send(commands, groups: pipelines(for: slots))
    }

    /// One slot per master of `slots`; a slot without a master stands for itself.
    public func destinationSlots(_ slots: [Int]) -> [Int] {
        pipelines(for: slots).map(\.slot)
    }

    /// The commands' indices grouped by the master of their slot, each group with a slot to route it by.
    /// why: by shard, so that a batch over many topics makes one pipeline per master, not one per topic. A slot
    /// without a master makes its own group, which fails as `send(_:slot:)` does.
    private func pipelines(for slots: [Int]) -> [(slot: Int, indices: [Int])] {
        let topology = self.topology
        var groups: [Int: (slot: Int, indices: [Int])] = [:]
        for (index, slot) in slots.enumerated() {
            groups[topology?.shardIndex(forSlot: slot) ?? (RedisHashSlot.count + slot), default: (slot, [])].indices.append(index)
        }
        return Array(groups.values)
    }

    /// One pipeline per master, each with the trailer last (and after every command that follows a redirection).
    public func send(_ commands: [RedisCommand], slots: [Int], trailer: RedisCommand) async throws -> (replies: [RESPValue], trailers: [RESPValue]) {
        precondition(commands.count == slots.count, "one slot per command")
        return try await withThrowingTaskGroup(of: ([Int], [RESPValue], [RESPValue]).self) { group in
            for (slot, indices) in pipelines(for: slots) {
                group.addTask {
                    let (replies, trailers) = try await self.send(indices.map { commands[$0] }, slot: slot, trailer: trailer)
                    return (indices, replies, trailers)
                }
            }
            var replies = [RESPValue](repeating: .null, count: commands.count)
            var trailers: [RESPValue] = []
            for try await (indices, answers, trailerAnswers) in group {
                for (index, answer) in zip(indices, answers) { replies[index] = answer }
                trailers += trailerAnswers
            }
            return (replies, trailers)
        }
    }
}
