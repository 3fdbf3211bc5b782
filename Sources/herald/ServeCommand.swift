import ArgumentParser
import HeraldCore
import HeraldHTTP
import HeraldMetrics
import HeraldRedis
import Logging
import NIOPosix
import Redis
import ServiceLifecycle

/// `herald serve`: runs one node. Every option is also an environment variable; the flag wins.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a Herald node: POST /publish, GET /events (SSE), GET /topics/{topic}, GET /stats, GET /healthz, GET /readyz.",
        discussion: "Every option can also be set by the environment variable named in its help; a flag wins over the variable."
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        var settings = try ServeSettings(options: options, environment: ProcessEnvironment.variable)
        LoggingSystem.bootstrap { [logFormat = settings.logFormat, logLevel = settings.logLevel] label in
            switch logFormat {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            }
        }
        let logger = Logger(label: "herald")
        try settings.tls.apply(to: &settings.edge, logger: logger)
        let redisConnections = settings.redis.map { $0.connection.commandConnectionCount + 1 } ?? 0
        let hookConnections = [settings.edge.subscribeHook, settings.edge.publishHook].compactMap { $0?.maxConcurrentCalls }.reduce(0, +)
        let (budget, raiseFailure) = DescriptorBudget.raise(
            threads: settings.threads, redisConnections: redisConnections, hookConnections: hookConnections
        )
        settings.edge.maxConnections = settings.maxConnections ?? budget.connections
        settings.edge.descriptorLimit = budget.limit
        logBudget(budget, raiseFailure: raiseFailure, edge: settings.edge, explicit: settings.maxConnections != nil, logger: logger)
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: settings.threads)
        let fanOut = FanOut(
            eventLoopGroup: eventLoopGroup, heartbeatInterval: settings.heartbeatInterval, coalescingWindow: settings.coalescingWindow
        )

        let metrics = settings.edge.metrics ? HeraldMetrics() : nil
        var services: [any Service] = []
        if let metrics { services.append(EventLoopLagProbe(eventLoopGroup: eventLoopGroup, metrics: metrics)) }
        let broker: any Broker
        if let redis = settings.redis {
            let redisMetrics = metrics.map { RedisMetrics(factory: $0.factory, prefix: MetricName.redisPrefix) } ?? .disabled
            let redisBroker = try RedisBroker(configuration: redis, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger, metrics: redisMetrics)
            do {
                try await redisBroker.prepare()
            } catch let error as RedisError {
                let setting = redis.sentinel == nil ? "--redis-cluster / HERALD_REDIS_CLUSTER"
                    : error.code == .authentication ? "--redis-sentinel-password / HERALD_REDIS_SENTINEL_PASSWORD"
                    : "--redis-sentinel / HERALD_REDIS_SENTINEL"
                throw ValidationError("\(setting): \(error.message)")
            }
            services += redisBroker.services
            broker = redisBroker
            let address = redis.cluster.map { "cluster " + $0.seeds.map(\.description).joined(separator: ",") }
                ?? redis.sentinel.map { "sentinel \($0.masterName) via " + $0.sentinels.map(\.description).joined(separator: ",") }
                ?? "\(redis.connection.host):\(redis.connection.port)"
            logger.info("using the redis backend", metadata: ["redis.address": "\(address)", "herald.node.id": "\(redisBroker.nodeID)"])
        } else {
            let memoryBroker = MemoryBroker(fanOut: fanOut, retention: settings.retention, maxTopics: settings.memoryMaxTopics)
            if memoryBroker.sweepInterval != nil { services.append(MemoryExpiryService(broker: memoryBroker)) }
            broker = memoryBroker
            logger.info("using the in-memory backend: history is per node and lost on restart; set --redis-url to run several nodes", metadata: [
                "herald.memory.max_topics": "\(settings.memoryMaxTopics)",
            ])
        }
        logAuth(settings.edge, logger: logger)
        // The TLS pairs reload their files while the node runs (and on SIGHUP).
        services += [settings.edge.tls, settings.edge.publishTLS].compactMap { $0 }
        let server = HTTPServer(configuration: settings.edge, broker: broker, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger, metrics: metrics)
        services.append(server)

        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        try await eventLoopGroup.shutdownGracefully()
    }

    /// Logs the descriptor budget and the connection limit; warns when an explicit `--max-connections` does
    /// not fit in it (the node would then run out of descriptors before refusing anyone).
    private func logBudget(_ budget: DescriptorBudget, raiseFailure: String?, edge: EdgeConfiguration, explicit: Bool, logger: Logger) {
        if let raiseFailure {
            logger.warning("could not raise the open-file limit to the hard limit", metadata: ["herald.fd.error": "\(raiseFailure)"])
        }
        logger.info("descriptor budget", metadata: [
            "herald.fd.soft_at_start": "\(budget.softLimitAtStart)", "herald.fd.limit": "\(budget.limit)",
            "herald.fd.hard": "\(budget.hardLimit.map(String.init) ?? "unlimited")", "herald.fd.reserve": "\(budget.reserve)",
            "herald.fd.connections": "\(budget.connections)", "herald.max_connections": "\(edge.maxConnections)",
            "herald.max_connections.source": "\(explicit ? "--max-connections" : "derived")",
        ])
        if explicit, edge.maxConnections > budget.connections {
            logger.warning(
                "--max-connections is above the descriptor budget: past the budget accepts fail and pause, and Redis may not reconnect; raise the hard open-file limit (ulimit -Hn, LimitNOFILE=) or lower --max-connections",
                metadata: [
                    "herald.max_connections": "\(edge.maxConnections)", "herald.fd.connections": "\(budget.connections)",
                    "herald.fd.limit": "\(budget.limit)", "herald.fd.reserve": "\(budget.reserve)",
                ]
            )
        }
    }

    /// Says at startup which auth is on; warns when it is off. Never logs keys.
    private func logAuth(_ edge: EdgeConfiguration, logger: Logger) {
        let publishAddress = edge.publishPort == nil ? "the main port" : "the publish port (--publish-port)"
        if edge.auth.publisher != nil || edge.publishHook != nil {
            logger.info("publisher auth is on", metadata: [
                "herald.auth.jwt_key": "\(edge.auth.publisher?.verifier?.key.kind ?? "none")",
                "herald.auth.hook": "\(edge.publishHook?.url ?? "none")",
            ])
        } else {
            logger.warning("publisher auth is off: anyone who can reach POST /publish on \(publishAddress) can publish; set --publisher-jwt-key, --publisher-api-key or --publish-auth-url")
        }
        if let subscriber = edge.auth.subscriber {
            logger.info("subscriber auth is on", metadata: [
                "herald.auth.jwt_key": "\(subscriber.verifier?.key.kind ?? "none")",
                "herald.auth.hook": "\(edge.subscribeHook?.url ?? "none")",
                "herald.auth.public_topics": "\(subscriber.publicTopics.map(\.description).joined(separator: ","))",
            ])
        } else {
            logger.warning("subscriber auth is off: every topic is public; set --subscriber-jwt-key to require tokens, or --subscribe-auth-url to ask your application")
        }
    }
}
