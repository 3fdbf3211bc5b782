import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A Redis Cluster client: sends each pipeline to the master that serves its slot, follows `MOVED` (reading
/// the slot map again) and `ASK` (`ASKING`, then the command once on the importing node), retries `TRYAGAIN`,
/// and keeps one ``RedisClient`` (a small pool of pipelined connections) per master.
///
/// The slot map (`RedisClusterClient+SlotMap.swift`) is read from the seeds by ``discoverTopology()`` (call it
/// at startup: it names what is wrong with a seed that is not a cluster, or a cluster with uncovered slots),
/// then again on a schedule, after
/// every `MOVED`, and every half second while a master cannot be reached (failover). `run()` keeps the
/// masters' connections until graceful shutdown. Like ``RedisClient``, `send` never waits for a connection:
/// a slot whose master is unreachable or unknown fails at once with ``RedisError/Code/connectionUnavailable``;
/// error replies other than redirections (`CLUSTERDOWN`, a script error) are returned, not thrown.
public final class RedisClusterClient: Service, Sendable {
    struct NodeEntry: Sendable {
        let client: RedisClient
        let started: NIODeadline
        /// Completed to stop the node's connections (it is no longer a master).
        let stop: EventLoopPromise<Void>
    }

    struct State: Sendable {
        var topology: RedisClusterTopology?
        /// Keyed by address (`Node.address`: no id).
        var masters: [RedisClusterTopology.Node: NodeEntry] = [:]
        /// The slot map read in progress, which later callers wait for instead of reading it again.
        var refresh: EventLoopFuture<Void>?
        var observers: [@Sendable (RedisClusterTopology) -> Void] = []
        /// Set when `run()` ends: no node's connections start any more.
        var isStopped = false
    }

    let configuration: RedisClusterConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private let metrics: RedisMetrics
    let state = Mutex(State())
    private let newNodes: AsyncStream<NodeEntry>
    private let newNodesSink: AsyncStream<NodeEntry>.Continuation

    /// Creates a client; nothing connects until ``discoverTopology()`` or ``run()``. The masters' clients record
    /// in `metrics`.
    public init(configuration: RedisClusterConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger, metrics: RedisMetrics = .disabled) {
        self.configuration = configuration
        self.metrics = metrics
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        (newNodes, newNodesSink) = AsyncStream.makeStream(of: NodeEntry.self)
    }

    /// The slot map in use, once read.
    public var topology: RedisClusterTopology? {
        state.withLock { $0.topology }
    }

    /// `true` when every slot has a master with an open connection.
    public var isConnected: Bool {
        state.withLock { state in
            guard let topology = state.topology, topology.uncoveredSlots.isEmpty else { return false }
            return topology.shards.allSatisfy { shard in shard.master.flatMap { state.masters[$0.address]?.client.isConnected } ?? false }
        }
    }

    /// The shards whose slots cannot be served now, one sentence each naming the slots and the master;
    /// empty when every slot has a master with an open connection.
    public var unservedShards: [String] {
        state.withLock { state in
            guard let topology = state.topology else { return ["the cluster's slot map has not been read yet"] }
            var problems = topology.uncoveredSlots.map { "slots \($0.lowerBound)-\($0.upperBound): no shard serves them (CLUSTERDOWN)" }
            for shard in topology.shards {
                guard let master = shard.master else {
                    problems.append("slots \(shard.slotList): no master (its replica is being promoted)")
                    continue
                }
                if state.masters[master.address]?.client.isConnected != true {
                    problems.append("slots \(shard.slotList): master \(master.address) is not reachable")
                }
            }
            return problems
        }
    }

    /// `true` when at least one master has an open connection.
    public var reachesAnyMaster: Bool {
        state.withLock { state in state.masters.values.contains { $0.client.isConnected } }
    }

    // MARK: Sending

    /// Sends `commands` as one pipeline to the master of `slot` and returns their replies in order, each
    /// redirection followed.
    public func send(_ commands: [RedisCommand], slot: Int) async throws -> [RESPValue] {
        let replies = try await connected(master(ofSlot: slot)).send(commands)
        return try await followUp(commands, replies: replies, slot: slot)
    }

    /// `send(_:slot:)` with `trailer` after the commands, and after every command sent again elsewhere (for
    /// `WAIT`, which confirms the writes of its own connection); returns the replies and each trailer's reply.
    func send(_ commands: [RedisCommand], slot: Int, trailer: RedisCommand) async throws -> (replies: [RESPValue], trailers: [RESPValue]) {
        let answers = try await connected(master(ofSlot: slot)).send(commands + [trailer])
        var trailers = [answers[answers.count - 1]]
        let replies = try await followUp(commands, replies: Array(answers.dropLast()), slot: slot, trailer: trailer) { trailers.append($0) }
        return (replies, trailers)
    }

    /// `send(_:slot:)` for callers on an event loop: with no redirection (the usual case) the replies come
    /// back on `eventLoop` with no task, as ``RedisClient/send(_:preferring:)`` does.
    public func send(_ commands: [RedisCommand], slot: Int, preferring eventLoop: any EventLoop) -> EventLoopFuture<[RESPValue]> {
        let client: RedisClient
        do {
            client = try master(ofSlot: slot)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        guard client.isConnected || !isStarting(client) else {
            return eventLoop.makeFutureWithTask { try await self.send(commands, slot: slot) }
        }
        return client.send(commands, preferring: eventLoop).flatMap { replies in
            guard replies.contains(where: Self.needsFollowUp) else { return eventLoop.makeSucceededFuture(replies) }
            return eventLoop.makeFutureWithTask { try await self.followUp(commands, replies: replies, slot: slot) }
        }
    }

    private static func needsFollowUp(_ reply: RESPValue) -> Bool {
        reply.redirection != nil || reply.errorPrefix == "TRYAGAIN"
    }

    /// Sends again, where they must go, the commands whose replies are redirections or `TRYAGAIN`; with a
    /// `trailer`, each after its command, its reply handed to `trailerReply`.
    private func followUp(
        _ commands: [RedisCommand], replies: [RESPValue], slot: Int,
        trailer: RedisCommand? = nil, trailerReply: (RESPValue) -> Void = { _ in }
    ) async throws -> [RESPValue] {
        let trailing = trailer.map { [$0] } ?? []
        var replies = replies
        var redirections = 0
        var tryAgains = 0
        while true {
            let pending = replies.indices.filter { Self.needsFollowUp(replies[$0]) }
            guard !pending.isEmpty else { return replies }
            if pending.contains(where: { replies[$0].redirection?.kind == .moved }) {
                redirections += 1
                guard redirections <= configuration.maxRedirections else { return replies }
                await refreshTopology()
            }
            if pending.contains(where: { replies[$0].errorPrefix == "TRYAGAIN" }) {
                tryAgains += 1
                guard tryAgains <= configuration.maxTryAgain else { return replies }
                try await Task.sleep(for: .nanoseconds(configuration.tryAgainPause.nanoseconds))
            }
            for index in pending {
                let redirection = replies[index].redirection
                if let redirection, redirection.kind == .ask {
                    redirections += 1
                    guard redirections <= configuration.maxRedirections else { return replies }
                    let node = RedisClusterTopology.Node(host: redirection.host, port: redirection.port)
                    let answers = try await connected(client(of: node)).send([RedisCommand("ASKING"), commands[index]] + trailing)
                    replies[index] = answers[1]
                    if trailer != nil { trailerReply(answers[2]) }
                } else {
                    // MOVED (the map was just read again) or TRYAGAIN: the slot's master as the map has it now.
                    let answers = try await connected(master(ofSlot: redirection?.slot ?? slot)).send([commands[index]] + trailing)
                    replies[index] = answers[0]
                    if trailer != nil { trailerReply(answers[1]) }
                }
            }
        }
    }

    /// `client`, once connected when it was started within the connect timeout (a new master, a redirection
    /// target). why: a node whose connections the map read just started is not down; waiting for them beats
    /// failing a command it can serve. A node that has had its chance fails at once, as ``RedisClient`` does.
    private func connected(_ client: RedisClient) async throws -> RedisClient {
        if !client.isConnected, isStarting(client) {
            try await client.waitUntilConnected(timeout: .nanoseconds(configuration.node.connectTimeout.nanoseconds))
        }
        return client
    }

    private func isStarting(_ client: RedisClient) -> Bool {
        state.withLock { state in
            state.masters.values.first { $0.client === client }.map { .now() - $0.started < configuration.node.connectTimeout } ?? true
        }
    }

    /// The client of the master that serves `slot`.
    private func master(ofSlot slot: Int) throws(RedisError) -> RedisClient {
        let found: Result<RedisClient, RedisError> = state.withLock { state in
            guard let topology = state.topology else {
                return .failure(RedisError(.connectionUnavailable, message: "the Redis Cluster slot map has not been read yet"))
            }
            guard let master = topology.shard(forSlot: slot)?.master, let entry = state.masters[master.address] else {
                return .failure(RedisError(.connectionUnavailable, message: "no Redis Cluster master serves slot \(slot) right now"))
            }
            return .success(entry.client)
        }
        return try found.get()
    }

    /// The client of `node`, started if it is not known yet (an `ASK` target the map does not show yet).
    private func client(of node: RedisClusterTopology.Node) -> RedisClient {
        state.withLock { state in startClientLocked(node, in: &state) }
    }

    func startClientLocked(_ node: RedisClusterTopology.Node, in state: inout State) -> RedisClient {
        let key = node.address
        if let entry = state.masters[key] { return entry.client }
        let entry = NodeEntry(
            client: RedisClient(configuration: configuration.configuration(of: key), eventLoopGroup: eventLoopGroup, logger: logger, metrics: metrics),
            started: .now(),
            stop: eventLoopGroup.any().makePromise(of: Void.self)
        )
        // why: a map read after `run()` ended (a refresh a subscriber started) must not start connections that
        // nothing runs or stops; the client it returns is never connected, so sends fail at once.
        guard !state.isStopped else {
            entry.stop.succeed()
            return entry.client
        }
        state.masters[key] = entry
        newNodesSink.yield(entry)
        return entry.client
    }

    // MARK: Service

    /// Reads the slot map (unless ``apply(_:)`` or ``discoverTopology()`` did), keeps the masters' connections,
    /// and reads the map again on schedule, until graceful shutdown.
    public func run() async throws {
        try configuration.validate()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.refreshOnSchedule() }
                for await entry in self.newNodes {
                    group.addTask { await StoppableService(service: entry.client, stop: entry.stop).run() }
                }
            }
        }
        let entries = state.withLock { state in
            state.isStopped = true
            defer { state.masters = [:] }
            return Array(state.masters.values)
        }
        for entry in entries { entry.stop.succeed() }
    }

    private func refreshOnSchedule() async {
        if topology == nil { await refreshTopology() }
        while !Task.isCancelled {
            let interval = isConnected ? configuration.refreshInterval : configuration.degradedRefreshInterval
            do {
                try await Task.sleep(for: .nanoseconds(interval.nanoseconds))
            } catch {
                return
            }
            await refreshTopology()
        }
    }
}
