import HeraldCore
import HeraldRedis
import Logging
import NIOPosix
import Redis
import TestSupport

/// A `RedisBroker` against a fresh `redis-server`, for the suites that check what the broker does in Redis.
enum RedisBrokerHarness {
    /// Runs `body` with a broker (its services running, ready) under a random key prefix, a raw connection to
    /// the same Redis, and that prefix; stops everything afterwards.
    static func with(
        retention: RetentionPolicy = RetentionPolicy(),
        _ body: (RedisBroker, RedisConnection, String) async throws -> Void
    ) async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let prefix = "t\(UInt32.random(in: 0...UInt32.max))"
        var configuration = RedisBrokerConfiguration(connection: try RedisConfiguration(url: server.url), retention: retention)
        configuration.keyPrefix = prefix
        let fanOut = FanOut(eventLoopGroup: group, heartbeatInterval: .seconds(15))
        let broker = try RedisBroker(configuration: configuration, fanOut: fanOut, eventLoopGroup: group, logger: Logger(label: "test"))
        let connection = try await RedisConnection.connect(configuration: configuration.connection, eventLoop: group.next(), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for service in broker.services { tasks.addTask { try await service.run() } }
            let deadline = ContinuousClock.now + .seconds(5)
            while (try? await broker.checkReady()) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            try await body(broker, connection, prefix)
            tasks.cancelAll()
        }
        await connection.close()
        try await group.shutdownGracefully()
    }

    /// How many times Redis ran `command` (lowercase, as `INFO commandstats` names it) since its statistics
    /// were last reset; 0 when it never did.
    static func calls(of command: String, on redis: RedisConnection) async throws -> Int {
        let info = try await redis.send(RedisCommand("INFO", "commandstats")).string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_\(command):") }
        return line.flatMap { $0.firstMatch(of: /calls=([0-9]+)/).flatMap { Int($0.output.1) } } ?? 0
    }
}
