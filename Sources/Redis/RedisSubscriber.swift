import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One dedicated connection for sharded pub/sub (`SSUBSCRIBE`, Redis 7 or later).
///
/// Many local subscribers share a Redis subscription: `SSUBSCRIBE` is sent for the
/// first and `SUNSUBSCRIBE` after the last, one channel per command. Messages reach
/// `onMessages` on the connection's event loop, once per read batch, in arrival order.
/// `run()` keeps the connection open until graceful shutdown: after a loss it calls
/// `onConnectionLost`, reconnects with backoff, re-subscribes every channel that still
/// has subscribers and then calls `onResubscribed` with them, because messages
/// published meanwhile were missed (heal them from the streams). The protocol logic is in
/// ``ChannelStateMachine``; this class executes its actions outside its lock.
public final class RedisSubscriber: Service, Sendable {
    struct Waiter: Sendable {
        var promise: EventLoopPromise<Void>
        var timeout: Scheduled<Void>?
    }

    struct State: Sendable {
        var machine = ChannelStateMachine()
        var connection: RedisConnection?
        /// Incremented for every connection attempt; replies from older connections are ignored.
        var generation = 0
        var waiters: [Int: Waiter] = [:]
        var nextWaiterID = 0
    }

    let configuration: RedisConfiguration
    /// All subscriber connections and waiter timers live on this one loop.
    let eventLoop: any EventLoop
    let logger: Logger
    let onMessages: @Sendable ([RedisPubSubMessage]) -> Void
    let onResubscribed: @Sendable ([String]) -> Void
    let onConnectionLost: @Sendable () -> Void
    let onServerUnsubscribed: (@Sendable (String) -> Void)?
    /// Sharded channels (`SSUBSCRIBE`) or plain ones (`SUBSCRIBE`).
    let kind: ChannelKind

    /// Which pub/sub the subscriber speaks.
    public enum ChannelKind: Sendable {
        /// Sharded pub/sub, Redis 7: `SSUBSCRIBE`, `SUNSUBSCRIBE`. What Herald's topics use.
        case sharded
        /// Plain pub/sub: `SUBSCRIBE`, `UNSUBSCRIBE`. For Redis Sentinel's event channels (`+switch-master`).
        case plain

        var subscribeCommand: String { self == .sharded ? "SSUBSCRIBE" : "SUBSCRIBE" }
        var unsubscribeCommand: String { self == .sharded ? "SUNSUBSCRIBE" : "UNSUBSCRIBE" }
    }
    let addressSource: (any RedisAddressSource)?
    let state = Mutex(State())
    let metrics: RedisMetrics

    /// Creates a subscriber; nothing connects until ``run()``.
    ///
    /// - Parameters:
    ///   - onMessages: called on the connection's event loop with every message of one
    ///     read batch, in arrival order. Keep it short and non-blocking.
    ///   - onResubscribed: called once after every reconnect, when every channel
    ///     that had subscribers is subscribed again (the list may be empty), and after
    ///     Redis dropped a subscription and it was renewed.
    ///   - onConnectionLost: called when an established connection closed, before
    ///     reconnecting: from then on messages are missed until `onResubscribed`.
    ///   - onServerUnsubscribed: when set, a channel Redis drops on its own (its cluster slot moved) is
    ///     forgotten here and handed to this closure, whose owner subscribes it on the new shard; when nil,
    ///     it is subscribed again on this connection and reported through `onResubscribed`.
    ///   - addressSource: asked for the server's address before every connect (a Sentinel-managed primary).
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onMessages: @escaping @Sendable ([RedisPubSubMessage]) -> Void,
        onResubscribed: @escaping @Sendable ([String]) -> Void = { _ in },
        onConnectionLost: @escaping @Sendable () -> Void = {},
        onServerUnsubscribed: (@Sendable (String) -> Void)? = nil,
        addressSource: (any RedisAddressSource)? = nil,
        metrics: RedisMetrics = .disabled,
        kind: ChannelKind = .sharded
    ) {
        self.kind = kind
        self.addressSource = addressSource
        self.configuration = configuration
        self.metrics = metrics
        self.eventLoop = eventLoopGroup.next()
        self.logger = logger
        self.onMessages = onMessages
        self.onResubscribed = onResubscribed
        self.onConnectionLost = onConnectionLost
        self.onServerUnsubscribed = onServerUnsubscribed
    }

    /// `true` while the subscriber connection is open.
    public var isConnected: Bool {
        self.state.withLock { $0.connection?.isActive ?? false }
    }

    /// What the subscriber holds per channel now, for leak counters (`/stats`): every count is zero once
    /// every local subscriber left and Redis confirmed the last `SUNSUBSCRIBE`.
    public struct Entries: Sendable, Equatable {
        /// Channels tracked by the state machine (wanted, or with a command in flight).
        public var channels: Int
        /// Channels re-subscribed after a reconnect, confirmation awaited.
        public var resubscribing: Int
        /// Subscribes waiting for Redis to confirm their channel.
        public var waiters: Int
        /// Replies the connection's pub/sub demultiplexer still expects.
        public var pendingReplies: Int
    }

    /// The per-channel entries held now (see ``Entries``).
    public func entries() async -> Entries {
        let (channels, resubscribing, waiters, connection) = self.state.withLock { state in
            (state.machine.channelCount, state.machine.resubscribingCount, state.waiters.count, state.connection)
        }
        let pending = await connection?.pendingPubSubReplies() ?? 0
        return Entries(channels: channels, resubscribing: resubscribing, waiters: waiters, pendingReplies: pending)
    }

    /// Adds a local subscriber to `channel`, subscribing in Redis if it is the first.
    ///
    /// Returns once Redis confirmed the subscription (at once when it already had).
    /// Throws ``RedisError/Code/connectionUnavailable`` when not connected,
    /// ``RedisError/Code/timeout`` when Redis does not confirm within the command
    /// timeout (a subscribe caught by a reconnect waits for it within that bound), and
    /// ``RedisError/Code/server`` when Redis refuses. When it throws, the subscriber is
    /// not counted: do not call ``unsubscribe(from:)`` for it.
    public func subscribe(to channel: String) async throws {
        let promise = self.eventLoop.makePromise(of: Void.self)
        let id = self.state.withLock { state in
            state.nextWaiterID += 1
            state.waiters[state.nextWaiterID] = Waiter(promise: promise, timeout: nil)
            return state.nextWaiterID
        }
        self.drive { $0.machine.subscribe(channel, waiter: id) }
        // why: bounds the wait for the confirmation, including across a reconnect.
        let timeout = self.eventLoop.scheduleTask(in: self.configuration.commandTimeout) { [weak self] in
            guard let self else { return }
            self.drive { $0.machine.waiterTimedOut(channel, waiter: id) }
        }
        let isWaiting = self.state.withLock { state in
            state.waiters[id]?.timeout = timeout
            return state.waiters[id] != nil
        }
        if !isWaiting {
            timeout.cancel()
        }
        try await promise.futureResult.get()
    }

    /// Removes one local subscriber from `channel`; `SUNSUBSCRIBE` follows the last.
    ///
    /// Call it once for every successful ``subscribe(to:)``; extra calls are ignored.
    public func unsubscribe(from channel: String) {
        self.drive { $0.machine.unsubscribe(channel) }
    }

    /// Closes the connection; it reconnects at once (to the address the address source gives now) and
    /// re-subscribes, reporting the loss and the re-subscription as for any lost connection.
    public func reconnect() {
        self.state.withLock { $0.connection }?.channel.close(promise: nil)
    }

    /// Connects and keeps the connection until graceful shutdown or cancellation,
    /// then closes it and fails any subscribe still waiting.
    public func run() async throws {
        try self.configuration.validate()
        await cancelWhenGracefulShutdown {
            await self.maintainConnection()
        }
        let connection = self.state.withLock { state in
            defer { state.connection = nil }
            return state.connection
        }
        self.drive { $0.machine.shutdown() }
        await connection?.close()
        self.logger.debug("redis subscriber stopped")
    }

    private func maintainConnection() async {
        let backoff = RedisBackoff(configuration: self.configuration)
        var attempt = 0
        var lostAt: ContinuousClock.Instant?
        while !Task.isCancelled {
            let generation = self.state.withLock { state in
                state.generation += 1
                return state.generation
            }
            do {
                let connection = try await RedisConnection.connect(
                    configuration: try await self.configuration.resolved(by: self.addressSource),
                    eventLoop: self.eventLoop,
                    logger: self.logger,
                    pushHandler: self.pushHandler(generation: generation)
                )
                attempt = 0
                self.metrics.subscriberConnected.set(1)
                if lostAt != nil { self.metrics.subscriberReconnects.increment() }
                self.drive { state in
                    state.connection = connection
                    return state.machine.connected()
                }
                var metadata: Logger.Metadata = [RedisMetadataKey.connectionID: "\(connection.id)"]
                if let lostAt {
                    metadata[RedisMetadataKey.outageMilliseconds] = "\((ContinuousClock.now - lostAt).milliseconds)"
                }
                lostAt = nil
                self.logger.info("redis subscriber connected", metadata: metadata)
                await withTaskCancellationHandler {
                    try? await connection.closeFuture.get()
                } onCancel: {
                    connection.channel.close(promise: nil)
                }
                self.metrics.subscriberConnected.set(0)
                self.drive { state in
                    state.connection = nil
                    return state.machine.connectionLost()
                }
                if !Task.isCancelled {
                    lostAt = .now
                    self.logger.warning("redis subscriber connection lost", metadata: [
                        RedisMetadataKey.connectionID: "\(connection.id)", RedisMetadataKey.reason: "\(connection.closeDescription)",
                    ])
                    self.onConnectionLost()
                }
            } catch {
                self.logger.debug("redis subscriber cannot connect", metadata: [RedisMetadataKey.error: "\(error)"])
            }
            let delay = backoff.delay(attempt: attempt)
            attempt += 1
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
        }
    }

    private func pushHandler(generation: Int) -> RedisPushHandler {
        RedisPushHandler(
            onMessages: self.onMessages,
            onServerUnsubscribe: { [weak self] channel in
                self?.drive { state in
                    guard state.generation == generation else { return [] }
                    return self?.onServerUnsubscribed == nil ? state.machine.serverUnsubscribed(channel) : state.machine.dropByServer(channel)
                }
            }
        )
    }
}
