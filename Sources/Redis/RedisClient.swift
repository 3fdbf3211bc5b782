import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A small pool of pipelined command connections to one Redis server.
///
/// `run()` keeps ``RedisConfiguration/commandConnectionCount`` connections open until
/// graceful shutdown, reconnecting each independently with exponential backoff and
/// jitter. `send` picks a live connection round-robin and never waits for one: when
/// none is connected it throws ``RedisError/Code/connectionUnavailable`` at once, so
/// an HTTP layer can answer 503 instead of piling up requests. Error replies are
/// returned as ``RESPValue/error(_:)``, not thrown.
public final class RedisClient: Service, Sendable {
    private struct ConnectWaiter: Sendable {
        var promise: EventLoopPromise<Void>
        var timeout: Scheduled<Void>?
    }

    private struct State: Sendable {
        var connections: [RedisConnection?]
        var waiters: [Int: ConnectWaiter] = [:]
        var nextWaiterID = 0
    }

    private let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state: Mutex<State>
    private let nextConnection = Atomic<Int>(0)
    /// Asked for the server's address before every connect (a Sentinel-managed primary); nil: the configuration's.
    private let addressSource: (any RedisAddressSource)?
    private let metrics: RedisMetrics

    /// Creates a client; nothing connects until ``run()``. Commands' round trips, reconnects and open
    /// connections are recorded in `metrics`. With `addressSource`, every connect goes to the address it gives
    /// then (the configuration's host and port are not used).
    public init(
        configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger,
        metrics: RedisMetrics = .disabled, addressSource: (any RedisAddressSource)? = nil
    ) {
        self.configuration = configuration
        self.addressSource = addressSource
        self.metrics = metrics
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = Mutex(State(connections: Array(repeating: nil, count: max(configuration.commandConnectionCount, 1))))
    }

    /// `true` when at least one command connection is open.
    public var isConnected: Bool {
        self.state.withLock { state in state.connections.contains { $0?.isActive ?? false } }
    }

    /// Sends one command on a live connection, as `RedisConnection.send` does.
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        let start = NIODeadline.now()
        defer { self.metrics.commandDuration.recordNanoseconds((NIODeadline.now() - start).nanoseconds) }
        return try await self.liveConnection().send(command)
    }

    /// Sends commands as one pipeline on one live connection: replies in order, one round trip.
    public func send(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        let start = NIODeadline.now()
        defer { self.metrics.commandDuration.recordNanoseconds((NIODeadline.now() - start).nanoseconds) }
        return try await self.liveConnection().send(commands)
    }

    /// Sends commands as one pipeline, preferring a connection that lives on `eventLoop`; the result
    /// completes on `eventLoop`. For callers on an event loop: with one connection per loop (connection
    /// *i* lives on loop *i*), the command is written and its reply read without leaving the loop.
    public func send(_ commands: [RedisCommand], preferring eventLoop: any EventLoop) -> EventLoopFuture<[RESPValue]> {
        do {
            let start = NIODeadline.now()
            let replies = try self.liveConnection(preferring: eventLoop).sendFuture(commands)
            let timer = self.metrics.commandDuration
            replies.whenComplete { _ in timer.recordNanoseconds((NIODeadline.now() - start).nanoseconds) }
            return replies.hop(to: eventLoop)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    /// Closes the open connections; each reconnects at once (to the address the address source gives now).
    public func reconnect() {
        let open = self.state.withLock { $0.connections.compactMap { $0 } }
        for connection in open { connection.channel.close(promise: nil) }
    }

    /// Returns once a connection is open, or throws ``RedisError/Code/timeout`` after `timeout`.
    public func waitUntilConnected(timeout: Duration) async throws {
        let eventLoop = self.eventLoopGroup.any()
        let promise = eventLoop.makePromise(of: Void.self)
        let id: Int? = self.state.withLock { state in
            guard !state.connections.contains(where: { $0?.isActive ?? false }) else {
                return nil
            }
            state.nextWaiterID += 1
            state.waiters[state.nextWaiterID] = ConnectWaiter(promise: promise, timeout: nil)
            return state.nextWaiterID
        }
        guard let id else {
            promise.succeed()
            return
        }
        let timeoutTask = eventLoop.scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self else { return }
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.promise.fail(RedisError(.timeout, message: "no redis connection within \(timeout)"))
        }
        let isWaiting = self.state.withLock { state in
            state.waiters[id]?.timeout = timeoutTask
            return state.waiters[id] != nil
        }
        if !isWaiting {
            timeoutTask.cancel()
        }
        try await promise.futureResult.get()
    }

    /// Keeps the connections open until graceful shutdown or cancellation, then closes them.
    public func run() async throws {
        try self.configuration.validate()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for slot in 0..<self.configuration.commandConnectionCount {
                    group.addTask {
                        await self.maintainConnection(slot: slot)
                    }
                }
            }
        }
        let (connections, waiters) = self.state.withLock { state in
            defer {
                state.connections = state.connections.map { _ in nil }
                state.waiters = [:]
            }
            return (state.connections.compactMap { $0 }, Array(state.waiters.values))
        }
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.promise.fail(RedisError(.connectionUnavailable, message: "redis client is shut down"))
        }
        for connection in connections {
            await connection.close()
        }
        self.logger.debug("redis client stopped")
    }

    private func liveConnection(preferring eventLoop: (any EventLoop)? = nil) throws(RedisError) -> RedisConnection {
        let start = self.nextConnection.wrappingAdd(1, ordering: .relaxed).oldValue
        let connection: RedisConnection? = self.state.withLock { state in
            if let eventLoop, let local = state.connections.first(where: { $0?.channel.eventLoop === eventLoop && $0?.isActive == true }) {
                return local
            }
            let count = state.connections.count
            for offset in 0..<count {
                let slot = (start &+ offset) % count
                if let connection = state.connections[slot < 0 ? slot + count : slot], connection.isActive {
                    return connection
                }
            }
            return nil
        }
        guard let connection else {
            throw RedisError(.connectionUnavailable, message: "no redis connection to \(self.configuration.serverDescription)")
        }
        return connection
    }

    private func maintainConnection(slot: Int) async {
        let loops = Array(self.eventLoopGroup.makeIterator())
        let backoff = RedisBackoff(configuration: self.configuration)
        var logger = self.logger
        logger[metadataKey: RedisMetadataKey.poolSlot] = "\(slot)"
        var attempt = 0
        var lostAt: ContinuousClock.Instant?
        while !Task.isCancelled {
            do {
                let connection = try await RedisConnection.connect(
                    configuration: try await self.configuration.resolved(by: self.addressSource),
                    // why: connection i on loop i, so that `send(_:preferring:)` finds one on the caller's loop.
                    eventLoop: loops[slot % loops.count],
                    logger: self.logger
                )
                attempt = 0
                self.metrics.openCommandConnections.increment()
                if lostAt != nil { self.metrics.commandReconnects.increment() }
                let waiters = self.state.withLock { state in
                    state.connections[slot] = connection
                    defer { state.waiters = [:] }
                    return Array(state.waiters.values)
                }
                for waiter in waiters {
                    waiter.timeout?.cancel()
                    waiter.promise.succeed()
                }
                var metadata: Logger.Metadata = [RedisMetadataKey.connectionID: "\(connection.id)"]
                if let lostAt {
                    metadata[RedisMetadataKey.outageMilliseconds] = "\((ContinuousClock.now - lostAt).milliseconds)"
                }
                lostAt = nil
                logger.info("redis connected", metadata: metadata)
                await withTaskCancellationHandler {
                    try? await connection.closeFuture.get()
                } onCancel: {
                    connection.channel.close(promise: nil)
                }
                self.state.withLock { $0.connections[slot] = nil }
                self.metrics.openCommandConnections.decrement()
                if !Task.isCancelled {
                    lostAt = .now
                    logger.warning("redis connection lost", metadata: [
                        RedisMetadataKey.connectionID: "\(connection.id)", RedisMetadataKey.reason: "\(connection.closeDescription)",
                    ])
                }
            } catch {
                logger.debug("redis cannot connect", metadata: [RedisMetadataKey.error: "\(error)"])
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
}
