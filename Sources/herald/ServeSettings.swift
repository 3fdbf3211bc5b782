import ArgumentParser
import Foundation
import HeraldAuth
import HeraldCore
import HeraldHTTP
import HeraldRedis
import Logging
import NIOCore
import Redis
#if canImport(Glibc)
import Glibc
#endif

/// Every setting of `herald serve`, read once from flags, then environment variables, then defaults.
/// This is the only place configuration keys are read. Invalid values stop startup with a message
/// naming the flag and the variable.
struct ServeSettings {
    var edge = EdgeConfiguration()
    var retention = RetentionPolicy()
    var redis: RedisBrokerConfiguration?
    /// Memory backend: most topics kept (see `MemoryBroker`).
    var memoryMaxTopics = MemoryBroker.defaultMaxTopics
    var heartbeatInterval: TimeAmount = .seconds(15)
    /// why: 5 ms held 300–400 events/s to 1,000 subscribers with p99 ≤ 36 ms where writing at once (0)
    /// reached p99 160 ms at 300/s (docs/benchmarks.md). It is waited only under load (`CoalescingPolicy`):
    /// an idle loop, a lone stream's, writes at once.
    var coalescingWindow: TimeAmount = .milliseconds(5)
    var threads = System.coreCount
    /// `--max-connections` when given; otherwise `ServeCommand` derives it from the descriptor budget.
    var maxConnections: Int?
    var logLevel = Logger.Level.info
    /// Lines of logs: readable text, or one JSON object a line (`JSONLogHandler`).
    enum LogFormat: String { case text, json }
    var logFormat = LogFormat.text
    /// TLS of the listeners, built into `edge.tls` and `edge.publishTLS` once logging is set up.
    var tls = TLSSettings()

    init(options: ServeOptions, environment: @escaping (String) -> String?) throws {
        let reader = SettingReader(environment: environment)
        edge.host = reader.value(options.host, "host", "HERALD_HOST") ?? edge.host
        edge.port = try reader.int(options.port, "port", "HERALD_PORT", range: 0...65535) ?? edge.port
        edge.maxTopicsPerConnection = try reader.int(options.maxTopics, "max-topics", "HERALD_MAX_TOPICS", range: 1...1024) ?? edge.maxTopicsPerConnection
        edge.maxBatchSize = try reader.int(options.maxBatch, "max-batch", "HERALD_MAX_BATCH", range: 1...100_000) ?? edge.maxBatchSize
        edge.maxStreamLines = try reader.int(options.maxStreamLines, "max-stream-lines", "HERALD_MAX_STREAM_LINES", range: 1...100_000_000) ?? edge.maxStreamLines
        edge.maxBodySize = try reader.size(options.maxBodySize, "max-body-size", "HERALD_MAX_BODY_SIZE") ?? edge.maxBodySize
        edge.slowClientBufferLimit = try reader.size(options.slowClientBuffer, "slow-client-buffer", "HERALD_SLOW_CLIENT_BUFFER") ?? edge.slowClientBufferLimit
        edge.retryInterval = try reader.duration(options.retry, "retry", "HERALD_RETRY") ?? edge.retryInterval
        edge.drainGrace = try reader.duration(options.drainGrace, "drain-grace", "HERALD_DRAIN_GRACE") ?? edge.drainGrace
        edge.drainWindow = try reader.duration(options.drainWindow, "drain-window", "HERALD_DRAIN_WINDOW") ?? edge.drainWindow
        maxConnections = try reader.int(options.maxConnections, "max-connections", "HERALD_MAX_CONNECTIONS", range: 1...10_000_000)
        edge.unavailableRetry = try reader.duration(options.unavailableRetry, "unavailable-retry", "HERALD_UNAVAILABLE_RETRY", allowZero: false) ?? edge.unavailableRetry
        edge.maxConnectionsPerAddress = try reader.int(options.maxConnectionsPerIP, "max-connections-per-ip", "HERALD_MAX_CONNECTIONS_PER_IP", range: 0...10_000_000) ?? edge.maxConnectionsPerAddress
        edge.publishRatePerAddress = try reader.int(options.publishRatePerIP, "publish-rate-per-ip", "HERALD_PUBLISH_RATE_PER_IP", range: 0...100_000_000) ?? edge.publishRatePerAddress
        edge.maxEventSize = try reader.size(options.maxEventSize, "max-event-size", "HERALD_MAX_EVENT_SIZE") ?? edge.maxEventSize
        edge.requestLimits.maxHeaderSize = try reader.size(options.maxHeaderSize, "max-header-size", "HERALD_MAX_HEADER_SIZE") ?? edge.requestLimits.maxHeaderSize
        edge.requestLimits.maxURLSize = try reader.size(options.maxURLSize, "max-url-size", "HERALD_MAX_URL_SIZE") ?? edge.requestLimits.maxURLSize
        edge.requestLimits.requestTimeout = try reader.duration(options.requestTimeout, "request-timeout", "HERALD_REQUEST_TIMEOUT", allowZero: false) ?? edge.requestLimits.requestTimeout
        if let origins = reader.value(options.corsOrigins, "cors-origins", "HERALD_CORS_ORIGINS") {
            let list = origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for origin in list where origin != "*" && origin.firstMatch(of: /^https?:\/\/[^\/\s]+$/) == nil {
                throw ValidationError("--cors-origins / HERALD_CORS_ORIGINS: \"\(origin)\" is not an origin; write scheme://host[:port] without a path, e.g. https://app.example.com, or *")
            }
            edge.cors = CORSPolicy(origins: list)
        }
        heartbeatInterval = try reader.duration(options.heartbeat, "heartbeat", "HERALD_HEARTBEAT", allowZero: false) ?? heartbeatInterval
        // why: a peer that leaves the next heartbeat unacknowledged for one more interval is gone: its stream
        // is released within about two heartbeats.
        edge.deadPeerTimeout = heartbeatInterval
        edge.readinessTimeout = try reader.duration(options.readinessTimeout, "readiness-timeout", "HERALD_READINESS_TIMEOUT", allowZero: false) ?? edge.readinessTimeout
        coalescingWindow = try reader.duration(options.coalescingWindow, "coalescing-window", "HERALD_COALESCING_WINDOW") ?? coalescingWindow
        guard coalescingWindow <= .seconds(1) else {
            throw ValidationError("--coalescing-window / HERALD_COALESCING_WINDOW: at most 1s; under load it delays live events by up to this much (a few ms is typical)")
        }
        retention.maxLength = try reader.int(options.historyLength, "history-length", "HERALD_HISTORY_LENGTH", range: 1...10_000_000) ?? retention.maxLength
        if let maxAge = try reader.duration(options.historyMaxAge, "history-max-age", "HERALD_HISTORY_MAX_AGE"), maxAge.nanoseconds > 0 {
            retention.maxAge = .nanoseconds(maxAge.nanoseconds)
        }
        if let window = try reader.duration(options.idempotencyWindow, "idempotency-window", "HERALD_IDEMPOTENCY_WINDOW", allowZero: false) {
            retention.idempotencyWindow = .nanoseconds(window.nanoseconds)
        }
        edge.publishHost = reader.value(options.publishHost, "publish-host", "HERALD_PUBLISH_HOST")
        edge.publishPort = try reader.int(options.publishPort, "publish-port", "HERALD_PUBLISH_PORT", range: 0...65535)
        try ClientAddressSettings.read(options, reader, into: &edge)
        tls = try TLSSettings.read(options, reader, publishPort: edge.publishPort)
        edge.http2.enabled = try reader.onOff(options.http2, "http2", "HERALD_HTTP2") ?? edge.http2.enabled
        edge.http2.cleartext = try reader.onOff(options.h2c, "h2c", "HERALD_H2C") ?? edge.http2.cleartext
        edge.http2.maxConcurrentStreams = try reader.int(options.h2MaxStreams, "h2-max-streams", "HERALD_H2_MAX_STREAMS", range: 1...10_000) ?? edge.http2.maxConcurrentStreams
        edge.dashboard = try reader.onOff(options.dashboard, "dashboard", "HERALD_DASHBOARD") ?? edge.dashboard
        edge.auth = try AuthSettings.read(options, reader)
        try AuthHookSettingsReader.read(options, reader, into: &edge)
        if edge.subscribeHook != nil, edge.auth.subscriber == nil {
            // why: --public-topics applies with the hook alone too; they are the topics it is never asked about.
            edge.auth.subscriber = SubscriberAuth(verifier: nil, publicTopics: try AuthSettings.publicTopics(options, reader))
        }
        edge.metrics = try reader.onOff(options.metrics, "metrics", "HERALD_METRICS") ?? edge.metrics
        threads = try reader.int(options.threads, "threads", "HERALD_THREADS", range: 1...1024) ?? threads
        if let level = reader.value(options.logLevel, "log-level", "HERALD_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ValidationError("--log-level / HERALD_LOG_LEVEL: \"\(level)\" is not a level; use trace, debug, info, notice, warning, error or critical")
            }
            logLevel = parsed
        }
        if let format = reader.value(options.logFormat, "log-format", "HERALD_LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw ValidationError("--log-format / HERALD_LOG_FORMAT: \"\(format)\" is not a format; use text or json")
            }
            logFormat = parsed
        }
        edge.accessLog = try reader.onOff(options.accessLog, "access-log", "HERALD_ACCESS_LOG") ?? edge.accessLog
        let memoryMaxTopics = try reader.int(options.memoryMaxTopics, "memory-max-topics", "HERALD_MEMORY_MAX_TOPICS", range: 1...100_000_000)
        self.memoryMaxTopics = memoryMaxTopics ?? self.memoryMaxTopics
        let url = reader.value(options.redisURL, "redis-url", "HERALD_REDIS_URL")
        let clusterSeeds = reader.value(options.redisCluster, "redis-cluster", "HERALD_REDIS_CLUSTER")
        let subscribeOn = reader.value(options.redisClusterSubscribeOn, "redis-cluster-subscribe-on", "HERALD_REDIS_CLUSTER_SUBSCRIBE_ON")
        let sentinels = reader.value(options.redisSentinel, "redis-sentinel", "HERALD_REDIS_SENTINEL")
        let sentinelMaster = reader.value(options.redisSentinelMaster, "redis-sentinel-master", "HERALD_REDIS_SENTINEL_MASTER")
        guard [url, clusterSeeds, sentinels].compactMap({ $0 }).count <= 1 else {
            throw ValidationError("more than one of --redis-url / HERALD_REDIS_URL, --redis-cluster / HERALD_REDIS_CLUSTER and --redis-sentinel / HERALD_REDIS_SENTINEL is set; give one: a single Redis, the seeds of a Redis Cluster, or the sentinels of a primary")
        }
        guard (sentinels == nil) == (sentinelMaster == nil) else {
            throw ValidationError("--redis-sentinel / HERALD_REDIS_SENTINEL and --redis-sentinel-master / HERALD_REDIS_SENTINEL_MASTER go together: the sentinels, and the master name they monitor")
        }
        guard subscribeOn == nil || clusterSeeds != nil else {
            throw ValidationError("--redis-cluster-subscribe-on / HERALD_REDIS_CLUSTER_SUBSCRIBE_ON applies to a Redis Cluster (--redis-cluster) only")
        }
        let sentinelPassword = reader.value(options.redisSentinelPassword, "redis-sentinel-password", "HERALD_REDIS_SENTINEL_PASSWORD")
        let sentinelUsername = reader.value(options.redisSentinelUsername, "redis-sentinel-username", "HERALD_REDIS_SENTINEL_USERNAME")
        guard sentinels != nil || (sentinelPassword == nil && sentinelUsername == nil) else {
            throw ValidationError("--redis-sentinel-password / HERALD_REDIS_SENTINEL_PASSWORD and --redis-sentinel-username / HERALD_REDIS_SENTINEL_USERNAME apply to --redis-sentinel only; the credentials of a Redis or a cluster go in its redis://user:password@ address")
        }
        guard sentinelUsername == nil || sentinelPassword != nil else {
            throw ValidationError("--redis-sentinel-username / HERALD_REDIS_SENTINEL_USERNAME needs --redis-sentinel-password / HERALD_REDIS_SENTINEL_PASSWORD: AUTH takes a user and a password")
        }
        if url != nil || clusterSeeds != nil || sentinels != nil {
            guard memoryMaxTopics == nil else {
                throw ValidationError("--memory-max-topics / HERALD_MEMORY_MAX_TOPICS applies to the memory backend only; with Redis, bound Redis memory with --history-length and --history-max-age instead")
            }
            let connection: RedisConfiguration
            var cluster: RedisClusterConfiguration?
            var sentinel: RedisSentinelConfiguration?
            if let clusterSeeds {
                (connection, cluster) = try Self.cluster(clusterSeeds)
                if let subscribeOn {
                    guard let nodes = RedisClusterConfiguration.SubscriptionNodes(rawValue: subscribeOn.lowercased()) else {
                        throw ValidationError("--redis-cluster-subscribe-on / HERALD_REDIS_CLUSTER_SUBSCRIBE_ON: \"\(subscribeOn)\" is not masters or replicas")
                    }
                    cluster?.subscribeOn = nodes
                }
            } else if let sentinels, let sentinelMaster {
                let (node, addresses) = try Self.addresses(sentinels, name: "--redis-sentinel / HERALD_REDIS_SENTINEL")
                connection = node
                sentinel = RedisSentinelConfiguration(sentinels: addresses, masterName: sentinelMaster, node: node)
                sentinel?.sentinelPassword = sentinelPassword
                sentinel?.sentinelUsername = sentinelUsername
            } else {
                do {
                    connection = try RedisConfiguration(url: url ?? "")
                } catch {
                    throw ValidationError("--redis-url / HERALD_REDIS_URL: \(error)")
                }
            }
            var redis = RedisBrokerConfiguration(connection: connection, retention: retention)
            redis.cluster = cluster
            redis.sentinel = sentinel
            redis.publishReplicas = try reader.int(options.publishReplicas, "publish-replicas", "HERALD_PUBLISH_REPLICAS", range: 0...16) ?? redis.publishReplicas
            if let timeout = try reader.duration(options.publishReplicasTimeout, "publish-replicas-timeout", "HERALD_PUBLISH_REPLICAS_TIMEOUT", allowZero: false) {
                redis.publishReplicasTimeout = .nanoseconds(timeout.nanoseconds)
            }
            redis.keyPrefix = reader.value(options.keyPrefix, "key-prefix", "HERALD_KEY_PREFIX") ?? redis.keyPrefix
            if cluster != nil, redis.keyPrefix.contains("{") {
                throw ValidationError("--key-prefix / HERALD_KEY_PREFIX: \"\(redis.keyPrefix)\" contains {; on a Redis Cluster the prefix must not, or Redis would hash part of the prefix instead of the topic (topics would pile on one shard, or split their keys over slots)")
            }
            // why: one command connection per event loop lets a publish go to Redis and back without a thread hop.
            redis.connection.commandConnectionCount = max(threads, 2)
            redis.connection.healthCheckInterval = try reader.duration(options.redisHealthInterval, "redis-health-interval", "HERALD_REDIS_HEALTH_INTERVAL", allowZero: false) ?? redis.connection.healthCheckInterval
            redis.connection.healthCheckTimeout = try reader.duration(options.redisHealthTimeout, "redis-health-timeout", "HERALD_REDIS_HEALTH_TIMEOUT", allowZero: false) ?? redis.connection.healthCheckTimeout
            guard redis.connection.healthCheckTimeout > redis.connection.healthCheckInterval else {
                throw ValidationError("--redis-health-timeout / HERALD_REDIS_HEALTH_TIMEOUT must be longer than --redis-health-interval, so that a probe can be answered; e.g. 3s with 1s")
            }
            redis.outageGrace = try reader.duration(options.redisOutageGrace, "redis-outage-grace", "HERALD_REDIS_OUTAGE_GRACE", allowZero: false) ?? redis.outageGrace
            redis.outageWindow = edge.drainWindow
            self.redis = redis
        } else if try reader.int(options.publishReplicas, "publish-replicas", "HERALD_PUBLISH_REPLICAS", range: 0...16) != nil {
            throw ValidationError("--publish-replicas / HERALD_PUBLISH_REPLICAS applies to Redis (--redis-url, --redis-cluster or --redis-sentinel); the memory backend has no replicas")
        }
    }
}

extension ServeSettings {
    /// Reads `--redis-cluster`: `host:port[,host:port…]`, or the same after `redis://[user:password@]` for
    /// credentials, which every node's connections use. Returns those connection settings and the seeds.
    static func cluster(_ text: String) throws -> (RedisConfiguration, RedisClusterConfiguration) {
        let (connection, seeds) = try addresses(text, name: "--redis-cluster / HERALD_REDIS_CLUSTER")
        return (connection, RedisClusterConfiguration(seeds: seeds, node: connection))
    }

    /// Reads a list of `host:port`, optionally after `redis://[user:password@]`: the connection settings
    /// (credentials) and the addresses. `name` is the setting, for errors.
    static func addresses(_ text: String, name: String) throws -> (RedisConfiguration, [RedisServerAddress]) {
        var list = Substring(text)
        var credentials = ""
        if list.hasPrefix("redis://") {
            list = list.dropFirst("redis://".count)
            if let at = list.lastIndex(of: "@") {
                credentials = String(list[...at])
                list = list[list.index(after: at)...]
            }
        }
        var seeds: [RedisServerAddress] = []
        var connection: RedisConfiguration?
        for entry in list.split(separator: ",", omittingEmptySubsequences: false) {
            let seed: RedisConfiguration
            do {
                seed = try RedisConfiguration(url: "redis://\(credentials)\(entry.trimmingCharacters(in: .whitespaces))")
            } catch {
                throw ValidationError("\(name): \"\(entry)\" is not host:port (\(error))")
            }
            guard seed.database == 0 else { throw ValidationError("\(name): give host:port only; drop /\(seed.database) from \"\(entry)\"") }
            seeds.append(.init(host: seed.host, port: seed.port))
            connection = connection ?? seed
        }
        guard let connection, !seeds.isEmpty else { throw ValidationError("\(name): no address given; write host:port[,host:port…]") }
        return (connection, seeds)
    }
}

/// Reads one setting from its flag or environment variable and parses it, with errors that name both.
struct SettingReader {
    let environment: (String) -> String?

    func value(_ flag: String?, _ name: String, _ variable: String) -> String? {
        flag ?? environment(variable).flatMap { $0.isEmpty ? nil : $0 }
    }

    func int(_ flag: Int?, _ name: String, _ variable: String, range: ClosedRange<Int>) throws -> Int? {
        let number: Int
        if let flag {
            number = flag
        } else if let text = environment(variable), !text.isEmpty {
            guard let parsed = Int(text) else { throw ValidationError("\(variable): \"\(text)\" is not a whole number") }
            number = parsed
        } else {
            return nil
        }
        guard range.contains(number) else {
            throw ValidationError("--\(name) / \(variable): \(number) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// A switch: `on` or `off`.
    func onOff(_ flag: String?, _ name: String, _ variable: String) throws -> Bool? {
        guard let text = value(flag, name, variable) else { return nil }
        switch text.lowercased() {
        case "on": return true
        case "off": return false
        default: throw ValidationError("--\(name) / \(variable): \"\(text)\" is not a switch; use on or off")
        }
    }

    /// Durations like `250ms`, `15s`, `10m`, `24h`, or `0`.
    func duration(_ flag: String?, _ name: String, _ variable: String, allowZero: Bool = true) throws -> TimeAmount? {
        guard let text = value(flag, name, variable) else { return nil }
        let units: [(String, Int64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
        let parsed: TimeAmount? = text == "0" ? .zero : units.lazy.compactMap { unit, nanoseconds in
            text.hasSuffix(unit) ? Int64(text.dropLast(unit.count)).map { TimeAmount.nanoseconds($0 * nanoseconds) } : nil
        }.first
        guard let parsed, parsed.nanoseconds >= 0, allowZero || parsed.nanoseconds > 0 else {
            throw ValidationError("--\(name) / \(variable): \"\(text)\" is not a \(allowZero ? "" : "positive ")duration; write e.g. 500ms, 15s, 10m or 24h")
        }
        return parsed
    }

    /// Sizes like `65536`, `512KiB`, `1MiB`.
    func size(_ flag: String?, _ name: String, _ variable: String) throws -> Int? {
        guard let text = value(flag, name, variable) else { return nil }
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("", 1)]
        let parsed = units.lazy.compactMap { unit, factor in
            text.hasSuffix(unit) ? Int(text.dropLast(unit.count)).map { $0 * factor } : nil
        }.first
        guard let parsed, parsed > 0 else {
            throw ValidationError("--\(name) / \(variable): \"\(text)\" is not a size; write e.g. 65536, 512KiB or 1MiB")
        }
        return parsed
    }
}

enum ProcessEnvironment {
    static func variable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
