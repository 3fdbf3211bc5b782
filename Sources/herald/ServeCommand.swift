import ArgumentParser
import HeraldCore
import HeraldHTTP
import HeraldRedis
import Logging
import NIOPosix
import ServiceLifecycle

/// `herald serve`: runs one node. Every option is also an environment variable; the flag wins.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a Herald node: POST /publish, GET /events (SSE), GET /healthz, GET /readyz.",
        discussion: "Every option can also be set by the environment variable named in its help; a flag wins over the variable."
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let settings = try ServeSettings(options: options, environment: ProcessEnvironment.variable)
        LoggingSystem.bootstrap { label in
            switch settings.logFormat {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = settings.logLevel
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = settings.logLevel
                return handler
            }
        }
        let logger = Logger(label: "herald")
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: settings.threads)
        let fanOut = FanOut(
            eventLoopGroup: eventLoopGroup, heartbeatInterval: settings.heartbeatInterval, coalescingWindow: settings.coalescingWindow
        )

        var services: [any Service] = []
        let broker: any Broker
        if let redis = settings.redis {
            let redisBroker = try RedisBroker(configuration: redis, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger)
            services += redisBroker.services
            broker = redisBroker
            logger.info("using the redis backend", metadata: ["redis.address": "\(redis.connection.host):\(redis.connection.port)"])
        } else {
            let memoryBroker = MemoryBroker(fanOut: fanOut, retention: settings.retention, maxTopics: settings.memoryMaxTopics)
            if memoryBroker.sweepInterval != nil { services.append(MemoryExpiryService(broker: memoryBroker)) }
            broker = memoryBroker
            logger.info("using the in-memory backend: history is per node and lost on restart; set --redis-url to run several nodes", metadata: [
                "herald.memory.max_topics": "\(settings.memoryMaxTopics)",
            ])
        }
        logAuth(settings.edge, logger: logger)
        let server = HTTPServer(configuration: settings.edge, broker: broker, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger)
        services.append(server)

        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        try await eventLoopGroup.shutdownGracefully()
    }

    /// Says at startup which auth is on; warns when it is off. Never logs keys.
    private func logAuth(_ edge: EdgeConfiguration, logger: Logger) {
        let publishAddress = edge.publishPort == nil ? "the main port" : "the publish port (--publish-port)"
        if let publisher = edge.auth.publisher {
            logger.info("publisher auth is on", metadata: ["herald.auth.jwt_key": "\(publisher.verifier?.key.kind ?? "none")"])
        } else {
            logger.warning("publisher auth is off: anyone who can reach POST /publish on \(publishAddress) can publish; set --publisher-jwt-key or --publisher-api-key")
        }
        if let subscriber = edge.auth.subscriber {
            logger.info("subscriber auth is on", metadata: [
                "herald.auth.jwt_key": "\(subscriber.verifier.key.kind)",
                "herald.auth.public_topics": "\(subscriber.publicTopics.map(\.description).joined(separator: ","))",
            ])
        } else {
            logger.warning("subscriber auth is off: every topic is public; set --subscriber-jwt-key to require tokens")
        }
    }
}
