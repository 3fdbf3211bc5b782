import HeraldClient
import HeraldCore
import HeraldHTTP
import HeraldRedis
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Redis
import ServiceLifecycle

/// Which broker a test node uses.
package enum TestBackend: Sendable, CustomStringConvertible {
    case memory
    /// Redis at `url`, with keys under `prefix` (unique per test, so tests never share keys).
    case redis(url: String, prefix: String)
    /// A Redis Cluster reached through `seeds` (`host:port,…`), with keys under `prefix`.
    case redisCluster(seeds: String, prefix: String)
    /// A primary found through Redis Sentinel at `sentinels` (`host:port,…`) as `master`, with keys under `prefix`;
    /// `sentinelPassword` is the sentinels' own.
    case redisSentinel(sentinels: String, master: String, prefix: String, publishReplicas: Int = 0, sentinelPassword: String? = nil)

    package var description: String {
        switch self {
        case .memory: "memory"
        case .redis: "redis"
        case .redisCluster: "redis cluster"
        case .redisSentinel: "redis sentinel"
        }
    }
}

/// One Herald node (HTTP edge + broker) on a free loopback port, run by a real `ServiceGroup`, with
/// helpers to publish and subscribe through real HTTP. Stop it with `stop()`.
package final class TestNode: Sendable {
    package let port: Int
    /// The separate publish listener's port, when `EdgeConfiguration.publishPort` is set.
    package let publishPort: Int?
    package let fanOut: FanOut
    package let broker: any Broker
    private let serviceGroup: ServiceGroup
    private let running: Task<Void, any Error>
    private let eventLoopGroup: MultiThreadedEventLoopGroup

    package static func start(
        _ backend: TestBackend,
        retention: RetentionPolicy = RetentionPolicy(),
        heartbeat: TimeAmount = .seconds(15),
        brokerOverride: (@Sendable () -> any Broker)? = nil,
        logger: Logger? = nil,
        configure: (inout EdgeConfiguration) -> Void = { _ in }
    ) async throws -> TestNode {
        let logger = logger ?? {
            var logger = Logger(label: "herald.test")
            logger.logLevel = .warning
            return logger
        }()
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let fanOut = FanOut(eventLoopGroup: eventLoopGroup, heartbeatInterval: heartbeat)
        var services: [any Service] = []
        let broker: any Broker
        switch backend {
        case _ where brokerOverride != nil:
            broker = brokerOverride!()
        case .memory:
            broker = MemoryBroker(fanOut: fanOut, retention: retention)
        case .redis(let url, let prefix):
            var configuration = RedisBrokerConfiguration(connection: try RedisConfiguration(url: url), retention: retention)
            configuration.keyPrefix = prefix
            let redis = try RedisBroker(configuration: configuration, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger)
            services += redis.services
            broker = redis
        case .redisCluster(let seeds, let prefix):
            var node = RedisConfiguration(host: "127.0.0.1")
            node.reconnectBackoffMaximum = .milliseconds(200)
            var configuration = RedisBrokerConfiguration(connection: node, retention: retention)
            configuration.cluster = RedisClusterConfiguration(
                seeds: seeds.split(separator: ",").map { .init(host: "127.0.0.1", port: Int($0.split(separator: ":").last ?? "") ?? 0) },
                node: node
            )
            configuration.cluster?.degradedRefreshInterval = .milliseconds(200)
            configuration.keyPrefix = prefix
            let redis = try RedisBroker(configuration: configuration, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger)
            try await redis.prepare()
            services += redis.services
            broker = redis
        case .redisSentinel(let sentinels, let master, let prefix, let publishReplicas, let sentinelPassword):
            var node = RedisConfiguration(host: "127.0.0.1")
            node.reconnectBackoffMaximum = .milliseconds(200)
            var configuration = RedisBrokerConfiguration(connection: node, retention: retention)
            configuration.sentinel = RedisSentinelConfiguration(
                sentinels: sentinels.split(separator: ",").map { .init(host: "127.0.0.1", port: Int($0.split(separator: ":").last ?? "") ?? 0) },
                masterName: master, node: node
            )
            configuration.sentinel?.checkInterval = .milliseconds(250)
            configuration.sentinel?.sentinelPassword = sentinelPassword
            configuration.publishReplicas = publishReplicas
            configuration.keyPrefix = prefix
            let redis = try RedisBroker(configuration: configuration, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger)
            try await redis.prepare()
            services += redis.services
            broker = redis
        }
        var edge = EdgeConfiguration()
        edge.host = "127.0.0.1"
        edge.port = 0
        edge.drainGrace = .zero
        edge.drainWindow = .milliseconds(50)
        configure(&edge)
        services += [edge.tls, edge.publishTLS].compactMap { $0 }
        let server = HTTPServer(configuration: edge, broker: broker, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger)
        services.append(server)
        let serviceGroup = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        let running = Task { try await serviceGroup.run() }
        let address = try await server.listeningAddress()
        let publishAddress = try await server.publishListeningAddress()
        let node = TestNode(port: address.port ?? 0, publishPort: publishAddress?.port, fanOut: fanOut, broker: broker, serviceGroup: serviceGroup, running: running, eventLoopGroup: eventLoopGroup)
        // why: a node behind the PROXY protocol or TLS refuses the plain requests of the readiness probe (its
        // memory broker is ready at once).
        if brokerOverride == nil, !edge.proxyProtocol, edge.tls == nil { try await node.waitUntilReady() }
        return node
    }

    /// Runs `body` with a started node and stops the node afterwards, also when `body` throws.
    package static func with<T>(
        _ backend: TestBackend,
        heartbeat: TimeAmount = .seconds(15),
        brokerOverride: (@Sendable () -> any Broker)? = nil,
        logger: Logger? = nil,
        configure: (inout EdgeConfiguration) -> Void = { _ in },
        _ body: (TestNode) async throws -> T
    ) async throws -> T {
        let node = try await start(backend, heartbeat: heartbeat, brokerOverride: brokerOverride, logger: logger, configure: configure)
        do {
            let result = try await body(node)
            try await node.stop()
            return result
        } catch {
            try? await node.stop()
            throw error
        }
    }

    private init(port: Int, publishPort: Int?, fanOut: FanOut, broker: any Broker, serviceGroup: ServiceGroup, running: Task<Void, any Error>, eventLoopGroup: MultiThreadedEventLoopGroup) {
        self.port = port
        self.publishPort = publishPort
        self.fanOut = fanOut
        self.broker = broker
        self.serviceGroup = serviceGroup
        self.running = running
        self.eventLoopGroup = eventLoopGroup
    }

    /// Triggers graceful shutdown and waits until every service stopped.
    package func stop() async throws {
        await serviceGroup.triggerGracefulShutdown()
        try await running.value
        try await eventLoopGroup.shutdownGracefully()
    }

    /// Waits (bounded) until `/readyz` says ready, i.e. the backend connections are up.
    package func waitUntilReady(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await get("/readyz").status != 200 {
            guard ContinuousClock.now < deadline else { throw TestNodeError("node not ready within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: HTTP helpers

    package func get(_ path: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        try await HeraldHTTPClient.request(port: port, method: .GET, path: path, headers: headers)
    }

    package func post(_ path: String = "/publish", contentType: String?, body: String, headers: [(String, String)] = [], port: Int? = nil) async throws -> HTTPClientResponse {
        var allHeaders = headers
        if let contentType { allHeaders.append(("content-type", contentType)) }
        return try await HeraldHTTPClient.request(port: port ?? self.port, method: .POST, path: path, headers: allHeaders, body: ByteBuffer(string: body))
    }

    /// Publishes one event as JSON and returns the id from the reply; fails on any status but 200.
    @discardableResult
    package func publish(_ topic: String, _ data: String, event: String? = nil) async throws -> String {
        let eventField = event.map { ",\"event\":\(JSONText.quoted($0))" } ?? ""
        let response = try await post(contentType: "application/json", body: "{\"topic\":\(JSONText.quoted(topic)),\"data\":\(JSONText.quoted(data))\(eventField)}")
        guard response.status == 200, let id = Self.field("id", in: response.bodyText) else {
            throw TestNodeError("publish failed: \(response.status) \(response.bodyText)")
        }
        return id
    }

    /// Publishes one event through the node's broker, not over HTTP (for nodes whose listener a plain HTTP
    /// client cannot reach: TLS, the PROXY protocol); returns its position in the topic.
    @discardableResult
    package func publishThroughBroker(_ topic: String, _ data: String) async throws -> TopicPosition {
        try await broker.publish([NewEvent(topic: try Topic(topic), type: nil, data: ByteBuffer(string: data))])[0]
    }

    /// Opens `GET /events?topic=…` for `topics`, optionally resuming from `lastEventID` (header); on the main
    /// port unless `port` is given.
    package func stream(_ topics: [String], lastEventID: String? = nil, query: String = "", headers: [(String, String)] = [], port: Int? = nil) async throws -> SSEStream {
        let path = "/events?" + topics.map { "topic=" + Self.percentEncode($0) }.joined(separator: "&") + query
        return try await HeraldHTTPClient.openEventStream(port: port ?? self.port, path: path, headers: (lastEventID.map { [("Last-Event-ID", $0)] } ?? []) + headers)
    }

    package static func percentEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "/"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return output
    }

    /// The string value of a field in a small JSON reply (`{"id":"…"}`), with `\"` and `\\` unescaped.
    package static func field(_ name: String, in json: String) -> String? {
        let marker = "\"\(name)\":\""
        let parts = json.split(separator: marker, maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        var value = ""
        var escaped = false
        for character in parts[1] {
            if escaped {
                value.append(character == "n" ? "\n" : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return value
            } else {
                value.append(character)
            }
        }
        return nil
    }

    /// The integer value of a field in a small JSON reply (`{"streams":3}`).
    package static func number(_ name: String, in json: String) -> Int? {
        json.firstMatch(of: try! Regex("\"\(name)\":(-?[0-9]+)"))?.output[1].substring.flatMap { Int($0) }
    }
}

package struct TestNodeError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
