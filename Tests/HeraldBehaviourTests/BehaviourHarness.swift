import HeraldClient
import HeraldCore
import Logging
import NIOCore
import NIOPosix
import Redis
import TestSupport
import Testing

/// The backends every behavioural test runs against. Redis is included when `redis-server` is installed,
/// and always under `CI=true` (where a missing server fails the suite instead of skipping it).
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, redis

    static var available: [BackendKind] {
        RedisServerProcess.isAvailable || RedisServerProcess.isRequired ? allCases : [.memory]
    }

    var testDescription: String { rawValue }
}

/// A backend prepared for one test: for Redis, a fresh `redis-server` and a key prefix of its own.
struct PreparedBackend: Sendable {
    let kind: BackendKind
    let redis: RedisServerProcess?
    let prefix: String

    var testBackend: TestBackend {
        guard let redis else { return .memory }
        return .redis(url: redis.url, prefix: prefix)
    }

    /// Deletes everything a topic has in the backend, as an operator (or an expiry) would.
    func deleteTopic(_ topic: String, on node: TestNode) async throws {
        switch kind {
        case .memory:
            (node.broker as! MemoryBroker).deleteTopic(try Topic(topic))
        case .redis:
            let connection = try await RedisConnection.connect(
                configuration: try RedisConfiguration(url: redis!.url), eventLoop: MultiThreadedEventLoopGroup.singleton.next(), logger: Logger(label: "test")
            )
            _ = try await connection.send(RedisCommand("DEL", [.string("\(prefix):{\(topic)}:stream"), .string("\(prefix):{\(topic)}:meta")]))
            await connection.close()
        }
    }
}

/// Runs `body` with a prepared backend, then stops what was started.
func withBackend(_ kind: BackendKind, _ body: (PreparedBackend) async throws -> Void) async throws {
    let redis = kind == .redis ? try await RedisServerProcess.start() : nil
    defer { redis?.stop() }
    try await body(PreparedBackend(kind: kind, redis: redis, prefix: "t\(UInt32.random(in: 0...UInt32.max))"))
}

/// Runs `body` with `count` nodes sharing one backend.
func withNodes(
    _ kind: BackendKind, count: Int = 1, retention: RetentionPolicy = RetentionPolicy(),
    _ body: (PreparedBackend, [TestNode]) async throws -> Void
) async throws {
    try await withBackend(kind) { backend in
        var nodes: [TestNode] = []
        do {
            for _ in 0..<count { nodes.append(try await TestNode.start(backend.testBackend, retention: retention)) }
            try await body(backend, nodes)
        } catch {
            for node in nodes { try? await node.stop() }
            throw error
        }
        for node in nodes { try await node.stop() }
    }
}
