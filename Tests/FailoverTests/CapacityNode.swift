import Foundation
import HeraldClient
import NIOCore
import TestSupport

/// One `herald serve` process under a low open-file limit (`prlimit --nofile`), optionally on its own Redis,
/// with a separate publish listener: that listener may go past `--max-connections` (its share of the
/// descriptor reserve), so the test can publish and read `/stats` while the node is full of streams.
final class CapacityNode: Sendable {
    let node: HeraldNodeProcess
    let publishPort: Int
    let redis: RedisServerProcess?
    let keyPrefix: String
    let directory: String

    /// Whether everything a capacity test needs is installed.
    static var missingBinaries: [String] {
        var missing: [String] = []
        if HeraldNodeProcess.prlimit == nil { missing.append("prlimit") }
        if !RedisServerProcess.isAvailable { missing.append("redis-server") }
        if RedisCLI.executable == nil { missing.append("redis-cli") }
        if !HeraldNodeProcess.isAvailable { missing.append(HeraldNodeProcess.binary + " (swift build --build-tests)") }
        return missing
    }

    /// Starts the node (2 event loop threads, so the reserve is the same on every machine) with `soft:hard`
    /// descriptors; with `redis`, on a fresh redis-server.
    static func start(descriptors: (soft: Int, hard: Int), redis useRedis: Bool = false, arguments: [String] = []) async throws -> CapacityNode {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-capacity-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let redis = useRedis ? try await RedisServerProcess.start() : nil
        let ports = try await LoopbackPort.free(count: 2)
        var all = ["--threads", "2", "--publish-port", "\(ports[1])", "--log-level", "info", "--drain-grace", "0s", "--drain-window", "100ms"]
        let keyPrefix = "capacity-\(UUID().uuidString.prefix(8))"
        if let redis { all += ["--redis-url", redis.url, "--key-prefix", keyPrefix] }
        let node = HeraldNodeProcess(name: "herald-capacity", port: ports[0], arguments: all + arguments, logDirectory: directory, descriptorLimit: descriptors)
        do {
            try await node.start()
        } catch {
            redis?.stop()
            throw error
        }
        return CapacityNode(node: node, publishPort: ports[1], redis: redis, keyPrefix: keyPrefix, directory: directory)
    }

    private init(node: HeraldNodeProcess, publishPort: Int, redis: RedisServerProcess?, keyPrefix: String, directory: String) {
        self.node = node
        self.publishPort = publishPort
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.directory = directory
    }

    /// Every line of `XRANGE` on `topic`'s Redis stream (with Redis only).
    func storedLines(topic: String) throws -> [String] {
        guard let redis else { throw FailoverFailure("this node has no Redis") }
        return try RedisCLI.run(port: redis.port, ["--raw", "XRANGE", "\(keyPrefix):{\(topic)}:stream", "-", "+"])
            .split(separator: "\n").map(String.init)
    }

    /// A number of the `capacity` object of `GET /stats` (publish port), or nil.
    func stat(_ name: String) async -> Int? {
        guard let response = try? await HeraldHTTPClient.request(port: publishPort, path: "/stats", timeout: .seconds(5)) else { return nil }
        return TestNode.number(name, in: response.bodyText)
    }

    /// Opens `GET /events` for `topic` on the main port.
    func stream(_ topic: String) async throws -> SSEStream {
        try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=\(topic)")
    }

    /// Opens `--max-connections` streams, round robin over `topics`, each confirmed live by `/healthz`.
    func fill(topics: [String]) async throws -> [(topic: String, stream: SSEStream)] {
        guard let limit = await stat("maxConnections") else { throw FailoverFailure("no /stats: \(node.logTail())") }
        var streams: [(topic: String, stream: SSEStream)] = []
        for index in 0..<limit {
            let topic = topics[index % topics.count]
            let stream = try await stream(topic)
            guard stream.status == 200, stream.header("content-length") == nil else {
                throw FailoverFailure("stream \(index + 1) of \(limit) was refused: \(String(buffer: stream.rawBytes))")
            }
            streams.append((topic, stream))
        }
        // why: a stream counts as open on the node once its catch-up is done; /healthz says when all are.
        try await poll(timeout: .seconds(20), "\(limit) open streams") { await node.openStreamsOnPublishPort(publishPort) == limit }
        return streams
    }

    /// Publishes `data` to `topic` on the publish port; throws unless it is stored.
    func publish(_ topic: String, _ data: String) async throws {
        let response = try await HeraldHTTPClient.request(
            port: publishPort, method: .POST, path: "/publish", headers: [("content-type", "application/json")],
            body: ByteBuffer(string: "{\"topic\":\"\(topic)\",\"data\":\"\(data)\"}")
        )
        guard response.status == 200 else { throw FailoverFailure("publish to \(topic) answered \(response.status): \(response.bodyText)") }
    }

    /// Stops the node and Redis; deletes the logs unless `keepingFiles`.
    func stop(keepingFiles: Bool) {
        node.stop()
        redis?.stop()
        if !keepingFiles { try? FileManager.default.removeItem(atPath: directory) }
    }
}

extension HeraldNodeProcess {
    /// Open streams according to `/healthz` on `port` (the publish listener serves it too).
    func openStreamsOnPublishPort(_ port: Int) async -> Int? {
        guard let response = try? await HeraldHTTPClient.request(port: port, path: "/healthz", timeout: .seconds(2)) else { return nil }
        return TestNode.number("streams", in: response.bodyText)
    }
}
