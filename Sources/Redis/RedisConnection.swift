import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to Redis, with pipelining.
///
/// Commands may be sent from any task, concurrently: they are written in call
/// order and their replies are matched first-in first-out. A Redis error reply is
/// *returned* as ``RESPValue/error(_:)``, not thrown, so the caller decides what it
/// means; only transport failures throw (``RedisError/Code/connectionClosed``,
/// ``RedisError/Code/timeout``). If Redis leaves the oldest command unanswered for
/// ``RedisConfiguration/commandTimeout``, the connection is closed and every pending
/// command fails. Nothing ever blocks an event loop.
public final class RedisConnection: Sendable {
    private static let nextID = Atomic<Int>(1)

    /// A process-unique number for this connection, as logged under `redis.connection.id`.
    public let id: Int
    let channel: any Channel
    private let logger: Logger
    private let closeReason: RedisCloseReason

    private init(id: Int, channel: any Channel, closeReason: RedisCloseReason, logger: Logger) {
        self.id = id
        self.channel = channel
        self.closeReason = closeReason
        self.logger = logger
    }

    /// Opens a connection, sends `AUTH` and `SELECT` when the configuration asks for them, and a `PING`, so
    /// that a link that accepts connections but never answers (a silent relay) fails here, within the
    /// health timeout, instead of being handed out.
    ///
    /// Throws ``RedisError/Code/invalidConfiguration`` for an invalid configuration,
    /// ``RedisError/Code/connectionUnavailable`` when the TCP connect fails or times out,
    /// ``RedisError/Code/authentication`` when the credentials are refused or missing (`AUTH`, `NOAUTH`), and
    /// ``RedisError/Code/server`` when `SELECT` is refused (the connection is then closed).
    public static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop,
        logger: Logger
    ) async throws -> RedisConnection {
        try await self.connect(configuration: configuration, eventLoop: eventLoop, logger: logger, pushHandler: nil)
    }

    static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop,
        logger baseLogger: Logger,
        pushHandler: RedisPushHandler?
    ) async throws -> RedisConnection {
        try configuration.validate()
        let id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        var logger = baseLogger
        logger[metadataKey: RedisMetadataKey.connectionID] = "\(id)"
        logger[metadataKey: RedisMetadataKey.server] = "\(configuration.serverDescription)"
        let handlerLogger = logger
        let closeReason = RedisCloseReason()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(configuration.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .redisLiveness(configuration)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = RedisChannelHandler(
                            commandTimeout: configuration.commandTimeout,
                            healthCheck: (configuration.healthCheckInterval, configuration.healthCheckTimeout),
                            pushHandler: pushHandler,
                            closeReason: closeReason,
                            logger: handlerLogger
                        )
                        try channel.pipeline.syncOperations.addHandlers(handler, FlushCoalescingHandler())
                    }
                }
                .connect(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw RedisError(
                .connectionUnavailable,
                message: "cannot connect to redis at \(configuration.serverDescription)",
                underlying: error
            )
        }
        let connection = RedisConnection(id: id, channel: channel, closeReason: closeReason, logger: logger)
        do {
            try await connection.prepareSession(configuration)
        } catch {
            await connection.close()
            throw error
        }
        logger.debug("redis connection established")
        return connection
    }

    /// Sends one command and returns its reply; an error reply is returned, not thrown.
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        try await self.sendFuture(command).get()
    }

    /// Sends commands as one pipeline: one write, one flush, one round trip.
    ///
    /// Returns one reply per command, in order. Error replies are returned in place,
    /// so one failing command does not hide the others' results. An empty array
    /// returns at once.
    public func send(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await self.sendFuture(commands).get()
    }

    /// `true` while the TCP connection is open.
    public var isActive: Bool {
        self.channel.isActive
    }

    /// Closes the connection; pending commands fail with ``RedisError/Code/connectionClosed``.
    /// Returns once the channel is closed. Calling it again is harmless.
    public func close() async {
        self.channel.close(promise: nil)
        try? await self.channel.closeFuture.get()
    }

    /// Replies the connection's pub/sub demultiplexer still expects (0 for a command connection or a closed one).
    func pendingPubSubReplies() async -> Int {
        let channel = self.channel
        let count = channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self).pendingPubSubReplies
        }
        return (try? await count.get()) ?? 0
    }

    /// Completes when the connection is closed, for whatever reason.
    var closeFuture: EventLoopFuture<Void> {
        self.channel.closeFuture
    }

    /// Why the connection closed, once it has: the error that ended it (a silent link, a timeout, a
    /// transport failure), or a generic description when the peer simply closed it.
    var closeDescription: String {
        self.closeReason.recorded?.message ?? "the connection was closed"
    }

    func sendFuture(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        let promise = self.channel.eventLoop.makePromise(of: RESPValue.self)
        self.write(.single(command, promise), failing: promise)
        return promise.futureResult
    }

    func sendFuture(_ commands: [RedisCommand]) -> EventLoopFuture<[RESPValue]> {
        let promise = self.channel.eventLoop.makePromise(of: [RESPValue].self)
        self.write(.pipeline(commands, promise), failing: promise)
        return promise.futureResult
    }

    /// Writes each command as its own request and flushes once; one future per command.
    func sendFutures(_ commands: [RedisCommand]) -> [EventLoopFuture<RESPValue>] {
        let futures = commands.map { command in
            let promise = self.channel.eventLoop.makePromise(of: RESPValue.self)
            self.channel.write(RedisRequest.single(command, promise)).whenFailure { error in
                promise.fail(Self.writeError(error))
            }
            return promise.futureResult
        }
        self.channel.flush()
        return futures
    }

    private static func writeError(_ error: any Error) -> RedisError {
        error as? RedisError
            ?? RedisError(.connectionClosed, message: "cannot write to redis connection", underlying: error)
    }

    private func write<Value>(_ request: RedisRequest, failing promise: EventLoopPromise<Value>) {
        // why: if the handler is already gone, the request ends at the head of the
        // pipeline and only the write promise learns of it; forward that failure so
        // the caller never waits forever. A promise completed twice keeps its first result.
        self.channel.writeAndFlush(request).whenFailure { error in
            promise.fail(Self.writeError(error))
        }
    }

    private func prepareSession(_ configuration: RedisConfiguration) async throws {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            if let username = configuration.username {
                commands.append(RedisCommand("AUTH", username, password))
            } else {
                commands.append(RedisCommand("AUTH", password))
            }
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT", [.integer(configuration.database)]))
        }
        commands.append(RedisCommand("PING"))
        let replies = try await self.send(commands)
        for (command, reply) in zip(commands, replies) {
            if case .error(let message) = reply {
                let credentials = command.name == "AUTH" || message.hasPrefix("NOAUTH")
                throw RedisError(credentials ? .authentication : .server, message: "redis refused \(command.name): \(message)")
            }
        }
    }
}
