import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Sharded pub/sub on a Redis Cluster: one ``RedisSubscriber`` (one `SSUBSCRIBE` connection) per shard, on its
/// master (or one of its replicas, `RedisClusterConfiguration.subscribeOn`), each channel subscribed on the
/// shard of its slot, shared by every local subscriber of the channel.
///
/// A channel has to move when its slot does: when Redis drops it (`sunsubscribe` after a slot migration),
/// when the slot map shows another master for it (failover, resharding), or when its shard's connection is
/// lost. Each time, `onInterrupted` names the channels whose messages may be missed from then on, the
/// channels are subscribed on their slot's master as the map has it now (the map is read again first), and
/// `onRestored` names them once they are subscribed again: the events published between the two are to be
/// read from history (healing). A channel interrupted and then left by its last local subscriber before it
/// was subscribed again is reported restored too, so that whatever its interruption started ends. Other
/// shards' channels are not affected.
public final class RedisClusterSubscriber: Service, Sendable {
    struct Shard: Sendable {
        let subscriber: RedisSubscriber
        let started: NIODeadline
        /// Completed to stop the shard's connection (its node is no longer a master).
        let stop: EventLoopPromise<Void>
    }

    struct State: Sendable {
        /// Local subscribers per channel.
        var counts: [String: Int] = [:]
        /// Where each channel with subscribers is subscribed (by node address).
        var placement: [String: RedisClusterTopology.Node] = [:]
        var shards: [RedisClusterTopology.Node: Shard] = [:]
        /// Channels reported interrupted and not yet restored.
        var interrupted: Set<String> = []
        /// Set when `run()` ends: channels are no longer placed.
        var isStopped = false

        /// Gives back the storage of the per-channel tables once mostly empty. why: a table keeps its
        /// capacity when entries go, so a node would keep tables sized for its busiest moment (a reconnect
        /// storm, a flood of one-off topics, a shard failing over under many channels) for good.
        mutating func releaseSpareCapacity() {
            counts.shrinkIfMostlyEmpty()
            placement.shrinkIfMostlyEmpty()
            if interrupted.isEmpty, interrupted.capacity > 1024 { interrupted = [] }
        }
    }

    let cluster: RedisClusterClient
    let configuration: RedisClusterConfiguration
    private let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private let metrics: RedisMetrics
    private let onMessages: @Sendable ([RedisPubSubMessage]) -> Void
    let onInterrupted: @Sendable ([String]) -> Void
    let onRestored: @Sendable ([String]) -> Void
    let onCutOff: @Sendable () -> Void
    let state = Mutex(State())
    private let newShards: AsyncStream<Shard>
    private let newShardsSink: AsyncStream<Shard>.Continuation

    /// Creates a subscriber that finds masters through `cluster`; nothing connects until ``run()``.
    /// - Parameters:
    ///   - onMessages: every message of one read batch of one shard, in arrival order, on that shard's loop.
    ///   - onInterrupted: channels whose messages may be missed from now on (hold their live delivery).
    ///   - onRestored: channels subscribed again after an interruption (heal them from history), or left by
    ///     their last local subscriber while interrupted.
    ///   - onCutOff: the last open shard connection was lost: the node reaches no master (until a shard's
    ///     `onRestored`).
    public init(
        cluster: RedisClusterClient,
        configuration: RedisClusterConfiguration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onMessages: @escaping @Sendable ([RedisPubSubMessage]) -> Void,
        onInterrupted: @escaping @Sendable ([String]) -> Void = { _ in },
        onRestored: @escaping @Sendable ([String]) -> Void = { _ in },
        onCutOff: @escaping @Sendable () -> Void = {},
        metrics: RedisMetrics = .disabled
    ) {
        self.cluster = cluster
        self.metrics = metrics
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onMessages = onMessages
        self.onInterrupted = onInterrupted
        self.onRestored = onRestored
        self.onCutOff = onCutOff
        (newShards, newShardsSink) = AsyncStream.makeStream(of: Shard.self)
        cluster.observeTopology { [weak self] topology in self?.topologyChanged(topology) }
        if let topology = cluster.topology { topologyChanged(topology) }
    }

    /// `true` when every shard's subscriber connection is open.
    public var isConnected: Bool {
        guard let nodes = cluster.topology?.shards.compactMap({ $0.subscriptionNode(configuration.subscribeOn) }) else { return false }
        return state.withLock { state in nodes.allSatisfy { state.shards[$0]?.subscriber.isConnected ?? false } }
    }

    /// The shards without an open subscriber connection, one sentence each naming the slots and the node;
    /// empty when `isConnected`.
    public var unsubscribedShards: [String] {
        guard let shards = cluster.topology?.shards else { return ["the cluster's slot map has not been read yet"] }
        return state.withLock { state in
            shards.compactMap { shard in
                guard let node = shard.subscriptionNode(configuration.subscribeOn), state.shards[node]?.subscriber.isConnected != true else { return nil }
                return "slots \(shard.slotList): no subscriber connection to \(node == shard.master?.address ? "master" : "replica") \(node)"
            }
        }
    }

    /// `true` when at least one shard's subscriber connection is open.
    public var reachesAnyMaster: Bool {
        state.withLock { state in state.shards.values.contains { $0.subscriber.isConnected } }
    }

    /// The subscribers of the shards in use.
    var shardSubscribers: [RedisSubscriber] {
        state.withLock { $0.shards.values.map(\.subscriber) }
    }

    /// Entries of the per-channel dictionaries (local subscriber counts, placements).
    var ownEntries: Int {
        state.withLock { $0.counts.count + $0.placement.count + $0.interrupted.count }
    }

    /// Channels with local subscribers.
    public var channelCount: Int {
        state.withLock { $0.counts.count }
    }

    /// Adds a local subscriber to `channel`; the first one subscribes on the master of its slot. Returns once
    /// Redis confirmed; throws as ``RedisSubscriber/subscribe(to:)`` does (then the subscriber is not counted).
    public func subscribe(to channel: String) async throws {
        let isFirst = state.withLock { state in
            state.counts[channel, default: 0] += 1
            return state.counts[channel] == 1
        }
        guard isFirst else { return }
        do {
            try await place(channel)
        } catch {
            state.withLock { state in
                state.counts[channel, default: 1] -= 1
                if state.counts[channel] == 0 { state.counts[channel] = nil }
            }
            throw error
        }
    }

    /// Removes one local subscriber of `channel`; the last one unsubscribes it in Redis (and, if the channel
    /// was interrupted, reports it restored: nothing waits for it any more).
    public func unsubscribe(from channel: String) {
        let (shard, wasInterrupted): (Shard?, Bool) = state.withLock { state in
            guard let count = state.counts[channel] else { return (nil, false) }
            guard count == 1 else {
                state.counts[channel] = count - 1
                return (nil, false)
            }
            state.counts[channel] = nil
            let wasInterrupted = state.interrupted.remove(channel) != nil
            let shard = state.placement.removeValue(forKey: channel).flatMap { state.shards[$0] }
            state.releaseSpareCapacity()
            return (shard, wasInterrupted)
        }
        shard?.subscriber.unsubscribe(from: channel)
        if wasInterrupted { onRestored([channel]) }
    }

    /// Reports `channels` restored (subscribed again after an interruption).
    func restored(_ channels: [String]) {
        state.withLock { state in
            for channel in channels { state.interrupted.remove(channel) }
            state.releaseSpareCapacity()
        }
        onRestored(channels)
    }

    /// Subscribes `channel` on the shard of its slot and records where.
    func place(_ channel: String) async throws {
        let slot = RedisHashSlot.of(channel)
        guard let node = cluster.topology?.shard(forSlot: slot)?.subscriptionNode(configuration.subscribeOn) else {
            throw RedisError(.connectionUnavailable, message: "no Redis Cluster master serves slot \(slot) right now")
        }
        let shard = state.withLock { state in shardLocked(node, in: &state) }
        try await subscribe(channel, on: shard)
        let keep = state.withLock { state in
            guard state.counts[channel] != nil else { return false }
            state.placement[channel] = node
            return true
        }
        // why: the last local subscriber left while Redis confirmed; nothing holds the subscription.
        if !keep { shard.subscriber.unsubscribe(from: channel) }
    }

    /// Subscribes `channel` on `shard`, waiting for the shard's first connection (within the connect timeout)
    /// when it was just started. why: a shard whose connection the map read just started is not down.
    private func subscribe(_ channel: String, on shard: Shard) async throws {
        while true {
            do {
                return try await shard.subscriber.subscribe(to: channel)
            } catch let error as RedisError where error.code == .connectionUnavailable && NIODeadline.now() - shard.started < configuration.node.connectTimeout {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    func shardLocked(_ node: RedisClusterTopology.Node, in state: inout State) -> Shard {
        if let shard = state.shards[node] { return shard }
        let shard = Shard(
            subscriber: RedisSubscriber(
                configuration: configuration.configuration(of: node),
                eventLoopGroup: eventLoopGroup,
                logger: logger,
                onMessages: onMessages,
                onResubscribed: { [weak self] channels in self?.restored(channels) },
                onConnectionLost: { [weak self] in self?.shardLost(node) },
                onServerUnsubscribed: { [weak self] channel in self?.moved([channel]) },
                metrics: metrics
            ),
            started: .now(),
            stop: eventLoopGroup.any().makePromise(of: Void.self)
        )
        // why: after `run()` ended nothing runs or stops a new shard's connection (see `RedisClusterClient`).
        guard !state.isStopped else {
            shard.stop.succeed()
            return shard
        }
        state.shards[node] = shard
        newShardsSink.yield(shard)
        return shard
    }

    // MARK: Service

    /// Runs the shards' subscriber connections until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await shard in self.newShards {
                    group.addTask { await StoppableService(service: shard.subscriber, stop: shard.stop).run() }
                }
            }
        }
        let shards = state.withLock { state in
            state.isStopped = true
            defer { state.shards = [:] }
            return Array(state.shards.values)
        }
        for shard in shards { shard.stop.succeed() }
    }
}
