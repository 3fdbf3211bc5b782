import HeraldCore
import Logging
import NIOCore
import Redis
import ServiceLifecycle

/// The broker for many nodes: each topic's history is a Redis stream, live delivery is sharded pub/sub.
///
/// Publishing runs one Lua script call per run of consecutive events on one topic (append with retention +
/// publish live, atomically), the calls of a batch pipelined. Each node holds one subscriber connection,
/// subscribed to a topic's channel while the node has at least one stream on that topic, and hands received
/// events to its `FanOut` in arrival order.
///
/// Live delivery is healed in place when the subscriber connection is lost (killed, Redis restarted or
/// down): the fan-out holds live events from the loss on, and once every channel is subscribed again the
/// events published meanwhile are read from the streams and delivered first. Streams stay open throughout.
/// Run `services` (command connections, the subscriber, then the subscriber-count reporter of
/// `GET /topics/{topic}`, see `SubscriberReporter`) in the node's `ServiceGroup`.
public final class RedisBroker: Broker {
    public let name = "redis"
    let configuration: RedisBrokerConfiguration
    let client: any RedisCommandSender
    let store: RedisTopicStore
    let reporter: SubscriberReporter
    private let subscriber: any RedisChannelSubscriber
    /// `subscriber`, when the broker runs on a Redis Cluster (for readiness by shard).
    private let clusterSubscriber: RedisClusterSubscriber?
    /// The cluster client when the broker runs on a Redis Cluster, which `prepare()` reads the slot map with.
    private let cluster: RedisClusterClient?
    /// The sentinels' view of the primary when the broker runs behind Redis Sentinel.
    private let sentinel: RedisSentinelResolver?
    private let fanOut: FanOut
    private let outage: RedisOutageWatch
    /// The channel every node's revocations go through (`broadcast(_:)`), and its listener.
    private let controlChannel: String
    private let revocationListener: RevocationListener

    /// The long-running parts to add to the node's service group, in start order (they stop in reverse: the
    /// subscriber report is withdrawn while the command connections are still up).
    public var services: [any Service] { (sentinel.map { [$0] } ?? []) + [client, subscriber, revocationListener, reporter] }

    /// This node's id in the subscriber reports of `GET /topics/{topic}`: random per process start.
    public var nodeID: String { reporter.nodeID }

    /// - Parameter metrics: where the Redis client records command round trips, reconnects and connection state.
    public init(configuration: RedisBrokerConfiguration, fanOut: FanOut, eventLoopGroup: any EventLoopGroup, logger: Logger, metrics: RedisMetrics = .disabled) throws {
        self.configuration = configuration
        let cluster = configuration.cluster.map { settings in
            var settings = settings
            settings.node = configuration.connection
            return RedisClusterClient(configuration: settings, eventLoopGroup: eventLoopGroup, logger: logger, metrics: metrics)
        }
        let sentinel = configuration.sentinel.map { settings in
            var settings = settings
            settings.node = configuration.connection
            return RedisSentinelResolver(configuration: settings, eventLoopGroup: eventLoopGroup, logger: logger)
        }
        let client: any RedisCommandSender = cluster
            ?? RedisClient(configuration: configuration.connection, eventLoopGroup: eventLoopGroup, logger: logger, metrics: metrics, addressSource: sentinel)
        let store = RedisTopicStore(configuration: configuration, client: client)
        self.cluster = cluster
        self.sentinel = sentinel
        let prefix = configuration.keyPrefix
        self.client = client
        self.store = store
        self.fanOut = fanOut
        self.reporter = SubscriberReporter(
            nodeID: Self.randomNodeID(), keys: NodeKeys(prefix: prefix), settings: configuration.subscriberReport,
            fanOut: fanOut, store: store, client: client, logger: logger
        )
        let outage = RedisOutageWatch(
            grace: configuration.outageGrace, window: configuration.outageWindow, fanOut: fanOut, eventLoop: eventLoopGroup.any(), logger: logger
        )
        self.outage = outage
        let controlChannel = Self.controlChannel(prefix: prefix)
        self.controlChannel = controlChannel
        let onMessages: @Sendable ([RedisPubSubMessage]) -> Void = { messages in
            fanOut.dispatch(messages.compactMap { message in
                if message.channel == controlChannel {
                    // why: a revocation is rare and reads every session of the node; it is no event of a topic.
                    if let revocation = Revocation(json: message.payload) { Task { await fanOut.revoke(revocation) } }
                    return nil
                }
                return Keys.topic(ofChannel: message.channel, prefix: prefix).flatMap { Envelope.decode(message.payload, topic: $0) }
            })
        }
        if let cluster, var settings = configuration.cluster {
            settings.node = configuration.connection
            let topics: @Sendable ([String]) -> Set<Topic> = { channels in Set(channels.compactMap { Keys.topic(ofChannel: $0, prefix: prefix) }) }
            // why: a shard's channels are interrupted and restored on their own (slot moved, failover): only their
            // topics are held and healed, the other shards' keep flowing. The outage watch acts when the node is
            // cut off from every master, as it does on a single Redis.
            let subscriber = RedisClusterSubscriber(
                cluster: cluster, configuration: settings, eventLoopGroup: eventLoopGroup, logger: logger,
                onMessages: onMessages,
                onInterrupted: { channels in fanOut.holdLive(topics(channels)) },
                onRestored: { channels in
                    outage.restored()
                    let restored = topics(channels)
                    Task { await fanOut.heal(restored, from: store, scope: .healedTopics, logger: logger) }
                },
                onCutOff: { outage.connectionLost() },
                metrics: metrics
            )
            self.subscriber = subscriber
            self.clusterSubscriber = subscriber
            self.revocationListener = RevocationListener(subscriber: subscriber, channel: controlChannel, logger: logger)
            return
        }
        self.clusterSubscriber = nil
        let subscriber = RedisSubscriber(
            configuration: configuration.connection,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onMessages: onMessages,
            onResubscribed: { channels in
                outage.restored()
                let topics = Set(channels.compactMap { Keys.topic(ofChannel: $0, prefix: prefix) })
                // why: the heal reads Redis, which must not block the subscriber's event loop; it belongs to
                // the broker's lifetime, not to a request, and ends after one read per topic.
                Task { await fanOut.heal(topics, from: store, logger: logger) }
            },
            onConnectionLost: {
                fanOut.holdLive()
                outage.connectionLost()
            },
            addressSource: sentinel,
            metrics: metrics
        )
        self.subscriber = subscriber
        self.revocationListener = RevocationListener(subscriber: subscriber, channel: controlChannel, logger: logger)
        // why: after a Sentinel failover the old primary may still accept connections (demoted to a replica, or
        // cut off); closing ours makes them reconnect to the primary the sentinels name now, and the subscriber
        // heals live delivery as after any lost connection.
        if let sentinel, let commands = client as? RedisClient {
            sentinel.onPrimarySwitch { _ in
                commands.reconnect()
                subscriber.reconnect()
            }
        }
    }

    /// Reads the Redis Cluster's slot map before the node starts (nothing for a single server); throws
    /// `RedisError` `invalidConfiguration` for a seed that is not a cluster node or a cluster with uncovered
    /// slots, `connectionUnavailable` when no seed answers.
    public func prepare() async throws {
        if let sentinel { _ = try await sentinel.currentAddress() }
        guard let cluster else { return }
        cluster.apply(try await cluster.discoverTopology())
    }

    public func publish(_ events: [NewEvent]) async throws -> [TopicPosition] {
        try await store.publish(events)
    }

    public func publish(_ events: [NewEvent], on eventLoop: any EventLoop) -> EventLoopFuture<[TopicPosition]> {
        store.publish(events, on: eventLoop)
    }

    public func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        try await store.history(of: topic, after: after, limit: limit)
    }

    public func retainedHistory(of topic: Topic) async throws -> RetainedHistory {
        try await store.retainedHistory(of: topic)
    }

    /// Sends `revocation` on the control channel, which every node's subscriber follows (this one's too).
    public func broadcast(_ revocation: Revocation) async throws {
        do {
            let command = RedisCommand("SPUBLISH", [.string(controlChannel), .string(revocation.json)])
            _ = try await client.send([command], slot: store.slot(ofKey: controlChannel))
        } catch {
            throw Self.translate(error)
        }
    }

    /// The channel of revocations: `<prefix>:control`, which no topic's channel can be (theirs hold `{`).
    static func controlChannel(prefix: String) -> String {
        prefix + ":control"
    }

    public func subscribe(to topics: [Topic]) async throws -> BrokerSubscription {
        let channels = topics.map { store.keys(of: $0).channel }
        var subscribed: [String] = []
        do {
            for channel in channels {
                try await subscriber.subscribe(to: channel)
                subscribed.append(channel)
            }
        } catch {
            for channel in subscribed { subscriber.unsubscribe(from: channel) }
            throw Self.translate(error)
        }
        let subscriber = self.subscriber
        return BrokerSubscription { for channel in channels { subscriber.unsubscribe(from: channel) } }
    }

    /// The subscriber's per-channel entries (see `PerTopicEntries`); the broker keeps nothing else per topic.
    public func perTopicEntries() async -> PerTopicEntries {
        let entries = await subscriber.entries()
        return PerTopicEntries([
            // why: the revocation channel is the node's own, not a topic's; leak counters count topics' channels.
            (PerTopicEntries.redisChannels, entries.channels - (revocationListener.isSubscribed ? 1 : 0)),
            (PerTopicEntries.redisResubscribing, entries.resubscribing),
            (PerTopicEntries.redisSubscribeWaiters, entries.waiters),
            (PerTopicEntries.redisPendingConfirmations, entries.pendingReplies),
        ])
    }

    /// Answers at once from the state the health checks keep (no round trip, which a silent link could hang):
    /// not ready while the node is cut off from Redis, has no command connection, or is healing live delivery.
    /// On a Redis Cluster, not ready only while it reaches no master; a shard failing over leaves it ready
    /// (see `degradation()`), so that a load balancer keeps sending it the clients of the other shards' topics.
    public func checkReady() async throws {
        if let cluster, let clusterSubscriber {
            guard cluster.reachesAnyMaster, clusterSubscriber.reachesAnyMaster else {
                let problems = (cluster.unservedShards + clusterSubscriber.unsubscribedShards).joined(separator: "; ")
                let lasted = outage.outageDuration.map { " for \(Self.tenths($0)) s" } ?? ""
                throw HeraldError(.backendUnavailable, "this node reaches no Redis Cluster master\(lasted); it is reconnecting: \(problems)")
            }
            try checkRevocationChannel()
            return
        }
        if let lostFor = outage.outageDuration {
            throw HeraldError(.backendUnavailable, "this node has been cut off from Redis for \(Self.tenths(lostFor)) s (its subscriber connection was lost); it is reconnecting")
        }
        guard subscriber.isConnected else {
            throw HeraldError(.backendUnavailable, "the Redis subscriber connection is not open yet; it is connecting")
        }
        try checkRevocationChannel()
        guard client.isConnected else {
            throw HeraldError(.backendUnavailable, "no Redis command connection is open; they are reconnecting")
        }
        guard !fanOut.isHealing else {
            throw HeraldError(.backendUnavailable, "this node is healing live delivery from the Redis streams after a reconnect")
        }
    }

    private func checkRevocationChannel() throws(HeraldError) {
        guard revocationListener.isSubscribed else {
            throw HeraldError(.backendUnavailable, "the revocation channel is not subscribed yet; a POST /disconnect now would miss this node")
        }
    }

    /// On a Redis Cluster: the shards this node cannot serve now (no master, an unreachable master, no
    /// subscriber connection), by slot range, and the topics whose live delivery is held until they heal.
    public func degradation() async -> [String] {
        guard let cluster, let clusterSubscriber else { return [] }
        var problems = cluster.unservedShards + clusterSubscriber.unsubscribedShards
        let healing = fanOut.heldTopicCount
        if healing > 0 { problems.append("\(healing) topic(s) hold live delivery until their channels are subscribed again and healed") }
        return problems
    }

    /// `duration` in seconds with one decimal, as readiness messages give it.
    static func tenths(_ duration: Duration) -> String {
        let tenths = duration.components.seconds * 10 + duration.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// 16 random hex digits. why: 64 bits make two nodes' ids clash about never, even over many restarts.
    static func randomNodeID() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func unexpected(_ reply: RESPValue, _ what: String) -> HeraldError {
        if case .error(let message) = reply {
            // why: a cluster that is down, a slot mid-migration or still moving after the redirections followed
            // are passing states: the publisher gets 503 with Retry-After, and may retry (idempotency keys
            // make that safe), not a 502 that reads as a broken backend.
            if ["CLUSTERDOWN", "TRYAGAIN", "MOVED", "ASK", "MASTERDOWN", "LOADING", "READONLY"].contains(reply.errorPrefix ?? "") {
                return HeraldError(.backendUnavailable, "Redis cannot serve the \(what) right now (\(message)); retry shortly")
            }
            return HeraldError(.backendFailure, "Redis refused the \(what): \(message)")
        }
        return HeraldError(.backendFailure, "Redis answered the \(what) with an unexpected reply: \(reply)")
    }

    /// Maps transport errors to `backend_unavailable`; keeps `HeraldError`s as they are.
    static func translate(_ error: any Error) -> any Error {
        switch error {
        case let error as HeraldError: error
        case let error as RedisError where error.code == .server: HeraldError(.backendFailure, "Redis error: \(error.message)", underlying: error)
        case let error as RedisError: HeraldError(.backendUnavailable, "Redis is not reachable right now (\(error.code)); retry shortly", underlying: error)
        case is CancellationError: error
        default: HeraldError(.backendFailure, "unexpected error talking to Redis", underlying: error)
        }
    }
}
