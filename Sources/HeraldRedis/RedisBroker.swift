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
/// Run `services` (command connections, then the subscriber) in the node's `ServiceGroup`.
public final class RedisBroker: Broker {
    public let name = "redis"
    private let configuration: RedisBrokerConfiguration
    private let client: RedisClient
    private let store: RedisTopicStore
    private let subscriber: RedisSubscriber
    private let fanOut: FanOut
    private let outage: RedisOutageWatch

    /// The long-running parts to add to the node's service group.
    public var services: [any Service] { [client, subscriber] }

    /// - Parameter metrics: where the Redis client records command round trips, reconnects and connection state.
    public init(configuration: RedisBrokerConfiguration, fanOut: FanOut, eventLoopGroup: any EventLoopGroup, logger: Logger, metrics: RedisMetrics = .disabled) throws {
        self.configuration = configuration
        let client = RedisClient(configuration: configuration.connection, eventLoopGroup: eventLoopGroup, logger: logger, metrics: metrics)
        let store = RedisTopicStore(configuration: configuration, client: client)
        let prefix = configuration.keyPrefix
        self.client = client
        self.store = store
        self.fanOut = fanOut
        let outage = RedisOutageWatch(
            grace: configuration.outageGrace, window: configuration.outageWindow, fanOut: fanOut, eventLoop: eventLoopGroup.any(), logger: logger
        )
        self.outage = outage
        self.subscriber = RedisSubscriber(
            configuration: configuration.connection,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onMessages: { messages in
                fanOut.dispatch(messages.compactMap { message in
                    Keys.topic(ofChannel: message.channel, prefix: prefix).flatMap { Envelope.decode(message.payload, topic: $0) }
                })
            },
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
            metrics: metrics
        )
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

    public func subscribe(to topics: [Topic]) async throws -> BrokerSubscription {
        let channels = topics.map { Keys(prefix: configuration.keyPrefix, topic: $0).channel }
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
            (PerTopicEntries.redisChannels, entries.channels),
            (PerTopicEntries.redisResubscribing, entries.resubscribing),
            (PerTopicEntries.redisSubscribeWaiters, entries.waiters),
            (PerTopicEntries.redisPendingConfirmations, entries.pendingReplies),
        ])
    }

    /// Answers at once from the state the health checks keep (no round trip, which a silent link could hang):
    /// not ready while the node is cut off from Redis, has no command connection, or is healing live delivery.
    public func checkReady() async throws {
        if let lostFor = outage.outageDuration {
            let tenths = lostFor.components.seconds * 10 + lostFor.components.attoseconds / 100_000_000_000_000_000
            throw HeraldError(.backendUnavailable, "this node has been cut off from Redis for \(tenths / 10).\(tenths % 10) s (its subscriber connection was lost); it is reconnecting")
        }
        guard subscriber.isConnected else {
            throw HeraldError(.backendUnavailable, "the Redis subscriber connection is not open yet; it is connecting")
        }
        guard client.isConnected else {
            throw HeraldError(.backendUnavailable, "no Redis command connection is open; they are reconnecting")
        }
        guard !fanOut.isHealing else {
            throw HeraldError(.backendUnavailable, "this node is healing live delivery from the Redis streams after a reconnect")
        }
    }

    static func unexpected(_ reply: RESPValue, _ what: String) -> HeraldError {
        if case .error(let message) = reply {
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
