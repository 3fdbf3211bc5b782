import Foundation
import Logging
import NIOCore
import NIOPosix
import Redis
import TestSupport

/// Shared setup of the integration suites: a real server, a logger, unique keys.
enum RedisTestEnvironment {
    /// Integration suites run when redis-server is installed, and always under `CI=true`.
    static var isEnabled: Bool {
        RedisServerProcess.isRequired || RedisServerProcess.isAvailable
    }

    static var eventLoopGroup: MultiThreadedEventLoopGroup {
        MultiThreadedEventLoopGroup.singleton
    }

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: "redis-tests.\(label)")
        logger.logLevel = ProcessInfo.processInfo.environment["REDIS_TEST_LOG"] == "debug" ? .debug : .critical
        return logger
    }

    /// A key prefix no other test uses: `test:<label>:<random>:`.
    static func uniquePrefix(_ label: String) -> String {
        "test:\(label):\(UInt64.random(in: 0...UInt64.max)):"
    }

    /// A configuration for `server` with short timeouts, so failures show quickly.
    static func configuration(for server: RedisServerProcess) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: server.url)
        configuration.commandTimeout = .seconds(5)
        // why: a connection now answers a PING before it is used; 1 s was too short on a loaded 2-core CI box.
        configuration.connectTimeout = .seconds(3)
        configuration.reconnectBackoffMinimum = .milliseconds(20)
        configuration.reconnectBackoffMaximum = .milliseconds(200)
        return configuration
    }

    /// A (not yet running) client of `server` with the test configuration, logging under `label`.
    static func client(for server: RedisServerProcess, label: String) throws -> RedisClient {
        RedisClient(configuration: try configuration(for: server), eventLoopGroup: eventLoopGroup, logger: logger(label))
    }

    /// Starts a server, runs `body`, and stops the server whatever happens.
    static func withServer<T>(_ body: (RedisServerProcess) async throws -> T) async throws -> T {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        return try await body(server)
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    static func eventually(
        within timeout: Duration = .seconds(10),
        _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() {
                return true
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    /// Runs `service.run()` in a child task for the duration of `body`, then cancels it
    /// and waits for it to finish.
    static func withRunning<T: Sendable>(
        _ run: @escaping @Sendable () async throws -> Void,
        _ body: () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}

extension AsyncStream where Element: Sendable {
    /// Takes up to `count` elements, giving up after `timeout`; returns what arrived.
    func prefix(_ count: Int, within timeout: Duration) async -> [Element] {
        await withTaskGroup(of: [Element]?.self) { group in
            group.addTask {
                var received: [Element] = []
                for await element in self {
                    received.append(element)
                    if received.count == count {
                        break
                    }
                }
                return received
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            guard let first else {
                // The time ran out: the collector returns what it has once cancelled.
                return await group.next().flatMap { $0 } ?? []
            }
            return first
        }
    }
}
